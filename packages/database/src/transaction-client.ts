import type { Prisma } from './generated/prisma/client.js';

/** The client handed to `prisma.$transaction(async (tx) => ...)` callbacks. */
export type TransactionClient = Prisma.TransactionClient;
