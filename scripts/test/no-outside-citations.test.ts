import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../lib/repo.js';

const REPO = repoRoot(import.meta.dirname);

/**
 * The team's planning notes (the product specification, the style, environment and performance
 * notes) are not part of the repository: a comment or README that cites one of them, by name
 * or by section number, points a reader of a clone at nothing. Design knowledge lives in docs/
 * (architecture, decisions) and in the READMEs. This file lists the names to find them, so it
 * is the one file not searched; the second test builds its examples from that list, so that no
 * line here is itself a citation, and shows the pattern still bites.
 */
const THIS_FILE = 'scripts/test/no-outside-citations.test.ts';
const OUTSIDE_DOCUMENTS = ['SPEC', 'STYLE', 'ENVIRONMENT', 'PERFORMANCE'];
const CITATION = new RegExp(
  [
    `\\b(${OUTSIDE_DOCUMENTS.join('|')})\\.md\\b`,
    `\\bSPEC\\b`,
    // A section sign always refers to a numbered section of a document the repo does not hold.
    '\u00a7',
  ].join('|'),
);

/** Files git knows (tracked, or new and not ignored), minus lockfiles, binaries and this file. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((path) => path !== '' && path !== THIS_FILE && !path.endsWith('pnpm-lock.yaml'))
    .filter((path) => !/\.(png|jpe?g|ico|woff2?|wasm)$/.test(path));
}

function citationsIn(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(REPO, path), 'utf8');
  } catch {
    return []; // listed by git but deleted in the work tree
  }
  return text
    .split('\n')
    .flatMap((line, index) =>
      CITATION.test(line) ? [`${path}:${index + 1}: ${line.trim()}`] : [],
    );
}

describe('the repository explains itself', () => {
  it('cites no document outside the repository', () => {
    const files = repositoryFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap(citationsIn)).toEqual([]);
  });

  it('recognises a citation when one comes back', () => {
    const [spec, , environment] = OUTSIDE_DOCUMENTS;
    expect(CITATION.test(`// kept 24 h (${spec} \u00a75)`)).toBe(true);
    expect(CITATION.test(`# see ${environment}.md`)).toBe(true);
    expect(CITATION.test('// see docs/architecture.md')).toBe(false);
    expect(CITATION.test('const SPECIAL = 1;')).toBe(false);
  });
});
