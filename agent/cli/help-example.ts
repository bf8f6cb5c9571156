// The "Example:" block every command's --help ends with, in one shape for all of them.

export function example(...lines: string[]): string {
  return `\nExample:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
