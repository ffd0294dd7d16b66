/**
 * Every difference between the engines polybackfill runs on (Debian's 18.16 server, current servers,
 * the embedded 26.x engine) that the code has to care about is settled here, and only here, so that
 * the rest of the code sees one behaviour. test/layers/engineDifferences.test.ts holds each to both engines.
 *
 * - 64-bit integers in JSON: 18.16 quotes them ("5"), current releases do not (5), and a number above
 *   2^53 loses digits in JSON.parse. Every connection asks for quoting.
 * - DateTime text and parsing: a server uses its configured time zone (the managed one: UTC); the
 *   embedded engine would use the process's TZ. Embedded sessions are pinned to UTC.
 * - The current database: @clickhouse/client sends `database` as a URL parameter, which the embedded
 *   connection ignores; embedded sessions select it with USE.
 * - Settings only the HTTP interface knows (wait_end_of_query, compression) are never sent: the
 *   client's compression is off, and the embedded connection drops the rest itself.
 */

/** Sent with every request over HTTP (URL parameters; 18.16 knows each of them). */
export const SERVER_SETTINGS = {
  output_format_json_quote_64bit_integers: 1
} as const

/** Run once on every embedded session when it opens (a session keeps its settings and database). */
export const embeddedSessionStatements = (database: string | undefined): ReadonlyArray<string> => [
  "SET output_format_json_quote_64bit_integers = 1",
  "SET session_timezone = 'UTC'",
  ...(database === undefined ? [] : [`USE \`${database}\``])
]
