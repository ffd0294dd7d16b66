import { accessSync, constants, statSync } from "node:fs"
import { delimiter, join } from "node:path"

/** How to run a server: Debian's `clickhouse-server`, or the official single binary as `clickhouse server`. */
export interface ServerBinary {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** Everything the managed server keeps, under `<state-dir>/clickhouse/`. */
export interface LocalPaths {
  readonly root: string
  readonly config: string
  readonly users: string
  readonly state: string
  /** The ports of the last start, kept after a stop so the next start offers the same URL. */
  readonly ports: string
  readonly lock: string
  readonly data: string
  readonly tmp: string
  readonly userFiles: string
  readonly formatSchemas: string
  readonly logDir: string
  readonly log: string
  readonly errorLog: string
  readonly stdoutLog: string
}

export const localPaths = (root: string): LocalPaths => ({
  root,
  config: join(root, "config.xml"),
  users: join(root, "users.xml"),
  state: join(root, "state.json"),
  ports: join(root, "ports.json"),
  lock: join(root, "start.lock"),
  data: join(root, "data") + "/",
  tmp: join(root, "tmp") + "/",
  userFiles: join(root, "user_files") + "/",
  formatSchemas: join(root, "format_schemas") + "/",
  logDir: join(root, "log"),
  log: join(root, "log", "clickhouse-server.log"),
  errorLog: join(root, "log", "clickhouse-server.err.log"),
  stdoutLog: join(root, "log", "stdout.log")
})

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Where Debian and the official installer put the server, for when PATH lacks /usr/sbin (non-root shells). */
export const DEFAULT_FIXED_DIRS: ReadonlyArray<string> = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"]

/** PATH first, then the usual install directories; `clickhouse-server` before the single binary. */
export const findServerBinary = (
  pathEnv: string = process.env["PATH"] ?? "",
  fixedDirs: ReadonlyArray<string> = DEFAULT_FIXED_DIRS
): ServerBinary | undefined => {
  const dirs = [...pathEnv.split(delimiter).filter((d) => d !== ""), ...fixedDirs]
  for (const dir of dirs) {
    const path = join(dir, "clickhouse-server")
    if (isExecutable(path)) return { command: path, args: [] }
  }
  for (const dir of dirs) {
    const path = join(dir, "clickhouse")
    if (isExecutable(path)) return { command: path, args: ["server"] }
  }
  return undefined
}

export const NOT_FOUND_MESSAGE =
  'ClickHouse server not found: install it with "apt-get install -y clickhouse-server" (Debian) or "polybackfill clickhouse install", or set CLICKHOUSE_URL'

const xmlText = (value: string): string =>
  value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/**
 * The smallest config 18.16 starts with (it needs the cache sizes and paths spelled out) that current
 * releases also accept (`<yandex>` is still read as the root). Loopback only; no interserver port,
 * so nothing but HTTP and the native protocol listens.
 */
export const serverConfigXml = (paths: LocalPaths, ports: { readonly http: number; readonly tcp: number }): string => `<?xml version="1.0"?>
<!-- Written by polybackfill; rewritten on every start. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>${xmlText(paths.log)}</log>
    <errorlog>${xmlText(paths.errorLog)}</errorlog>
    <size>10M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <path>${xmlText(paths.data)}</path>
  <tmp_path>${xmlText(paths.tmp)}</tmp_path>
  <user_files_path>${xmlText(paths.userFiles)}</user_files_path>
  <format_schema_path>${xmlText(paths.formatSchemas)}</format_schema_path>
  <users_config>${xmlText(paths.users)}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <keep_alive_timeout>10</keep_alive_timeout>
</yandex>
`

/** One passwordless `default` user, reachable from loopback only. */
export const usersXml = `<?xml version="1.0"?>
<!-- Written by polybackfill. -->
<yandex>
  <profiles>
    <default></default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`
