import type { HelpDoc, Span, Usage } from "@effect/cli"
import { CliConfig, Command, CommandDescriptor } from "@effect/cli"
import { Effect, Either, HashMap, Option } from "effect"

/**
 * `--help`, rendered here from @effect/cli's HelpDoc: its own renderer pads the command list to the
 * longest usage (column ~640), repeats every option's primitive type ("A user-defined piece of text.")
 * and wraps nothing. This one lays options out in two columns within the terminal's width, shows the
 * pseudo-names (`auto|N`, `DURATION`) as the types, and marks the options that are not optional.
 */

type Block =
  | { readonly _tag: "Header"; readonly text: string }
  | { readonly _tag: "Paragraph"; readonly text: string }
  | { readonly _tag: "Entries"; readonly entries: ReadonlyArray<readonly [string, string]> }

const spanText = (span: Span.Span): string => spanLeaves(span).join("")

/** The leaves of a span, for the command list whose padding is one of them. */
function spanLeaves(span: Span.Span): ReadonlyArray<string> {
  switch (span._tag) {
    case "Sequence":
      return [...spanLeaves(span.left), ...spanLeaves(span.right)]
    case "Text":
    case "URI":
      return [span.value]
    default:
      return spanLeaves(span.value)
  }
}

const paragraphs = (doc: HelpDoc.HelpDoc): ReadonlyArray<string> => {
  switch (doc._tag) {
    case "Paragraph":
      return [spanText(doc.value)]
    case "Sequence":
      return [...paragraphs(doc.left), ...paragraphs(doc.right)]
    default:
      return []
  }
}

const OPTIONAL = /^This (?:setting|argument) is optional\.(?: Defaults to: (.*))?$/
const REPEATED = /^This (?:option|argument) may be repeated zero or more times\.$/
const FROM_ENV = /^This option can be set from environment variables\.$/

/**
 * One option or argument: its description, what @effect/cli adds turned into short marks. The first
 * paragraph is always the primitive's own description ("An integer."): the pseudo-name says it better.
 */
const describeEntry = (block: HelpDoc.HelpDoc, markRequired: boolean): string => {
  const [, ...rest] = paragraphs(block)
  let optional = false
  const text: Array<string> = []
  const marks: Array<string> = []
  for (const p of rest) {
    const opt = OPTIONAL.exec(p)
    if (opt !== null) {
      optional = true
      if (opt[1] !== undefined && opt[1] !== "" && !text.join(" ").includes("default")) marks.push(`default ${opt[1]}`)
    } else if (REPEATED.test(p)) {
      optional = true
      marks.push("repeatable")
    } else if (!FROM_ENV.test(p)) text.push(p)
  }
  if (!optional && markRequired) marks.push("required")
  return [...text, ...(marks.length > 0 ? [`(${marks.join(", ")})`] : [])].join(" ")
}

/** `demo [--markets integer] ...   Simulate ...`: the command words, then the description after the padding. */
const commandEntry = (doc: HelpDoc.HelpDoc): readonly [string, string] | undefined => {
  if (doc._tag !== "Paragraph") return undefined
  const leaves = spanLeaves(doc.value)
  const pad = leaves.reduce((found, l, i) => (/^ {2,}$/.test(l) ? i : found), -1)
  const usage = leaves.slice(0, pad === -1 ? leaves.length : pad).join("")
  const words: Array<string> = []
  for (const word of usage.split(" ")) {
    if (word === "" || /^[[<(-]/.test(word)) break
    words.push(word)
  }
  return [words.join(" "), pad === -1 ? "" : leaves.slice(pad + 1).join("")]
}

const blocksOf = (doc: HelpDoc.HelpDoc, section: string): ReadonlyArray<Block> => {
  switch (doc._tag) {
    case "Empty":
      return []
    case "Header":
      return [{ _tag: "Header", text: spanText(doc.value) }]
    case "Paragraph":
      return [{ _tag: "Paragraph", text: spanText(doc.value) }]
    case "DescriptionList":
      return [
        {
          _tag: "Entries",
          entries: doc.definitions.map(([span, block]) => [spanText(span).replace(/^\((.*)\)$/, "$1"), describeEntry(block, section === "OPTIONS")] as const)
        }
      ]
    case "Enumeration":
      return [{ _tag: "Entries", entries: doc.elements.flatMap((e) => Option.toArray(Option.fromNullable(commandEntry(e)))) }]
    case "Sequence": {
      const left = blocksOf(doc.left, section)
      const header = [...left].reverse().find((b) => b._tag === "Header")
      return [...left, ...blocksOf(doc.right, header === undefined ? section : header.text)]
    }
  }
}

/** Words of `text` in lines of at most `width` (a longer word keeps its own line). */
export const wrap = (text: string, width: number): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word
    else if (line.length + 1 + word.length <= width) line += ` ${word}`
    else {
      lines.push(line)
      line = word
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

const INDENT = 2
const GAP = 2

const renderEntries = (entries: ReadonlyArray<readonly [string, string]>, width: number): ReadonlyArray<string> => {
  const column = INDENT + Math.min(28, Math.max(...entries.map(([left]) => left.length))) + GAP
  return entries.flatMap(([left, description]) => {
    const text = wrap(description, Math.max(20, width - column))
    const first = `${" ".repeat(INDENT)}${left}`
    const rest = text.map((l) => `${" ".repeat(column)}${l}`)
    if (first.length + GAP <= column && text.length > 0) return [`${first.padEnd(column)}${text[0]}`, ...rest.slice(1)]
    return [first, ...rest]
  })
}

/** The usage line: command words, required options by name, the rest as `[options]`, then the arguments. */
const usageLine = (program: string, path: ReadonlyArray<string>, usage: Usage.Usage): string => {
  const parts: Array<string> = []
  let hasOptional = false
  const walk = (u: Usage.Usage, optional: boolean): void => {
    switch (u._tag) {
      case "Concat":
        walk(u.left, optional)
        walk(u.right, optional)
        return
      case "Optional":
      case "Repeated":
        walk(u.usage, true)
        return
      case "Alternation":
        walk(u.left, optional)
        return
      case "Mixed":
        parts.push("<command>")
        return
      case "Empty":
        return
      case "Named": {
        const name = u.names[0] ?? ""
        const value = Option.getOrElse(u.acceptedValues, () => "")
        if (name.startsWith("-")) {
          if (optional) hasOptional = true
          else parts.push(`${name}${value === "" ? "" : ` ${value}`}`)
        } else if (name.startsWith("<")) parts.push(optional ? `[${name}]` : name)
        return
      }
    }
  }
  walk(usage, false)
  return [program, ...path, ...(hasOptional ? ["[options]"] : []), ...parts].join(" ")
}

export interface HelpPage {
  readonly program: string
  readonly version: string
  /** The subcommands named on the command line, e.g. ["clickhouse", "start"]. */
  readonly path: ReadonlyArray<string>
  readonly usage: Usage.Usage
  readonly doc: HelpDoc.HelpDoc
}

/** The page as plain lines of at most `width` columns (but for a single word longer than that); `bold` styles headings. */
export const renderHelp = (page: HelpPage, width: number, bold: (text: string) => string = (t) => t): string => {
  // @effect/cli gives each option its own list: one list per section lines the descriptions up.
  const blocks = blocksOf(page.doc, "").reduce<Array<Block>>((merged, block) => {
    const last = merged[merged.length - 1]
    if (last?._tag === "Entries" && block._tag === "Entries") merged[merged.length - 1] = { _tag: "Entries", entries: [...last.entries, ...block.entries] }
    else merged.push(block)
    return merged
  }, [])
  const usage = usageLine(page.program, page.path, page.usage)
  const withCommand = blocks.some((b) => b._tag === "Header" && b.text === "COMMANDS") && !usage.includes("<command>")
  const out: Array<string> = [`${page.program} ${page.version}`, "", bold("USAGE"), `${" ".repeat(INDENT)}${usage}${withCommand ? " <command>" : ""}`]
  const anyRequired = blocks.some((b) => b._tag === "Entries" && b.entries.some(([, d]) => /\brequired\)$/.test(d)))
  let section = ""
  for (const block of blocks) {
    switch (block._tag) {
      case "Header":
        section = block.text
        out.push("", bold(section === "OPTIONS" ? `OPTIONS (${anyRequired ? "optional unless marked required" : "all optional"})` : section))
        break
      case "Paragraph":
        out.push(...wrap(block.text, width - INDENT).map((l) => `${" ".repeat(INDENT)}${l}`))
        break
      case "Entries":
        out.push(...renderEntries(block.entries, width))
        break
    }
  }
  return out.join("\n")
}

/** The first name of a usage that is neither an option nor an argument: the command's own. */
const commandName = (u: Usage.Usage): string | undefined => {
  switch (u._tag) {
    case "Concat":
      return commandName(u.left) ?? commandName(u.right)
    case "Named":
      return /^[-<]/.test(u.names[0] ?? "-") ? undefined : u.names[0]
    default:
      return undefined
  }
}

/**
 * The subcommands the arguments name (`clickhouse start`): @effect/cli's usage names only the last one,
 * so the path runs from the first top-level command on the command line to that one.
 */
const commandPath = (root: CommandDescriptor.Command<unknown>, args: ReadonlyArray<string>, usage: Usage.Usage): ReadonlyArray<string> => {
  const leaf = commandName(usage)
  const first = args.findIndex((a) => HashMap.has(CommandDescriptor.getSubcommands(root), a))
  const last = leaf === undefined || first === -1 ? -1 : args.indexOf(leaf, first)
  return last === -1 ? [] : args.slice(first, last + 1).filter((a) => !a.startsWith("-"))
}

/**
 * The help page `args` ask for (`--help`, `-h`, or no arguments at all), as @effect/cli parses them;
 * undefined for anything else, which @effect/cli then runs or reports.
 */
export const helpRequested = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>,
  program: string,
  version: string,
  args: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const config = CliConfig.defaultConfig
    if (args.length === 0) {
      return { program, version, path: [], usage: Command.getUsage(command), doc: Command.getHelp(command, config) } satisfies HelpPage
    }
    const parsed = yield* Effect.either(CommandDescriptor.parse(command.descriptor, [program, ...args], config))
    if (Either.isLeft(parsed) || parsed.right._tag !== "BuiltIn" || parsed.right.option._tag !== "ShowHelp") return undefined
    const { usage, helpDoc } = parsed.right.option
    return { program, version, path: commandPath(command.descriptor as CommandDescriptor.Command<unknown>, args, usage), usage, doc: helpDoc } satisfies HelpPage
  })
