import type { Command, Option } from "commander";

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

function findOption(options: readonly Option[], arg: string): { option: Option; inline: boolean } | undefined {
  for (const option of options) {
    if (arg === option.long || arg === option.short) return { option, inline: false };
    if (option.long && arg.startsWith(`${option.long}=`)) return { option, inline: true };
    if (option.short && takesValue(option) && arg.startsWith(option.short) && arg.length > option.short.length) return { option, inline: true };
  }
  return undefined;
}

/**
 * Plan ids may begin with `-` (e.g. `-V99kWr0XzEr`), which a parser takes for an unknown option.
 * This moves every such operand of a subcommand behind a `--`, so that
 * `planroom reject -V99kWr0XzEr -m "too risky"` means what it says. Known options (and their
 * values) are left where they are; commands without operands are left alone, and so is a dash
 * word after the command's operands (`submit plan.json --no-wait`), which the parser then reports
 * as the unknown option it is.
 */
export function protectDashOperands(argv: readonly string[], program: Command): string[] {
  const args = [...argv];
  const globals = program.options;
  let i = 2;
  let sub: Command | undefined;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    const global = findOption(globals, arg);
    if (global) {
      if (takesValue(global.option) && !global.inline) i++;
      continue;
    }
    sub = program.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    break;
  }
  if (!sub || sub.registeredArguments.length === 0) return args;
  const known = [...sub.options, ...globals];
  const moved: string[] = [];
  const kept = args.slice(0, i + 1);
  const wanted = sub.registeredArguments.some((a) => a.variadic) ? Infinity : sub.registeredArguments.length;
  let operands = 0;
  for (let j = i + 1; j < args.length; j++) {
    const arg = args[j]!;
    if (arg === "--") {
      kept.push(...args.slice(j));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      kept.push(arg);
      continue;
    }
    const found = findOption(known, arg);
    if (found) {
      kept.push(arg);
      if (takesValue(found.option) && !found.inline && j + 1 < args.length) kept.push(args[++j]!);
      continue;
    }
    // Once the command has its operands, a dash word is a mistyped option: the parser names it.
    if (/^-[A-Za-z0-9_-]+$/.test(arg) && operands < wanted) {
      moved.push(arg);
      operands++;
    } else {
      kept.push(arg);
      if (!arg.startsWith("-")) operands++;
    }
  }
  if (moved.length === 0) return kept;
  const dash = kept.indexOf("--");
  if (dash === -1) return [...kept, "--", ...moved];
  kept.splice(dash + 1, 0, ...moved);
  return kept;
}
