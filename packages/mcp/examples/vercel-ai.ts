/**
 * The WAIaaS tools in a Vercel AI SDK agent: `@ai-sdk/mcp` connects to `waiaas-mcp --http`,
 * lists its tools and hands them to `generateText`, which runs the model's tool calls until it
 * answers. Any `LanguageModel` works (`openai('gpt-4.1')`, `anthropic('claude-sonnet-4-5')`, ...);
 * the tests drive this function with a scripted model.
 */
import { createMCPClient } from '@ai-sdk/mcp';
import { generateText, stepCountIs, type LanguageModel } from 'ai';

export interface PayOptions {
  /** The MCP endpoint, e.g. `http://127.0.0.1:3333/mcp`. */
  mcpUrl: string;
  /** The agent's WAIaaS key; the MCP server passes it to the API and keeps nothing. */
  agentKey: string;
  model: LanguageModel;
  prompt: string;
}

/** The model's final answer and every tool result of the run, in order. */
export interface WalletAgentRun {
  text: string;
  toolResults: { toolName: string; output: unknown }[];
}

export async function runWalletAgent(options: PayOptions): Promise<WalletAgentRun> {
  const mcp = await createMCPClient({
    transport: {
      type: 'http',
      url: options.mcpUrl,
      headers: { authorization: `Bearer ${options.agentKey}` },
    },
  });
  try {
    const result = await generateText({
      model: options.model,
      tools: await mcp.tools(),
      system:
        'You pay from the WAIaaS wallets you are given. Choose one idempotencyKey per payment and reuse it if you retry.',
      prompt: options.prompt,
      stopWhen: stepCountIs(8),
    });
    return {
      text: result.text,
      toolResults: result.steps.flatMap((step) =>
        step.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
      ),
    };
  } finally {
    await mcp.close();
  }
}
