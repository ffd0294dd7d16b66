/**
 * Row shapes of the ClickHouse tables, as inserted (JSONEachRow). Migrations in src/layers/migrations
 * create exactly these columns. DateTime columns are epoch seconds (JSONEachRow accepts them on 18.16
 * and current releases). uint256 values are decimal strings; raw 6-decimal amounts are UInt64 decimal
 * strings too (a JS number loses precision past 2^53).
 */

export interface MarketRow {
  readonly condition_id: string // 0x + 64 hex
  readonly market_id: string // Gamma `id` (a string)
  readonly question_id: string
  readonly question: string
  readonly slug: string
  readonly event_slug: string
  readonly outcomes: ReadonlyArray<string>
  readonly token_ids: ReadonlyArray<string>
  readonly neg_risk: number // 0 | 1
  readonly active: number
  readonly closed: number
  readonly volume: number
  readonly liquidity: number
  readonly start_date: number // epoch s, 0 when unknown
  readonly end_date: number
  readonly closed_time: number
  readonly resolution_status: string // umaResolutionStatus, "" when absent
  readonly outcome_prices: ReadonlyArray<number>
  readonly resolved: number // 0 | 1
  readonly winning_outcome_index: number // -1 when unresolved or void
  readonly is_void: number // 50/50 resolution
  readonly updated_at: number // version: epoch s of ingestion
}

export interface MarketTokenRow {
  readonly token_id: string
  readonly condition_id: string
  readonly outcome_index: number
  readonly outcome: string
  readonly winner: number // 0 | 1
  readonly updated_at: number
}

export interface ClobFillRow {
  /**
   * Natural key shared by every source: `${tx_hash}_${order_hash}` (the subgraph's own id), and
   * `${tx_hash}_${order_hash}_${n}` for the n-th fill of the same order in the same transaction counted
   * back from the last one (see fillId in fills.ts).
   */
  readonly fill_id: string
  readonly tx_hash: string
  readonly order_hash: string
  readonly log_index: number // -1 when the source does not say (subgraph)
  readonly block_number: number // 0 when the source does not say
  readonly timestamp: number
  readonly exchange: string // contract address, "" when unknown
  readonly era: string // "v1" | "v2"
  readonly maker: string
  readonly taker: string
  readonly maker_asset_id: string
  readonly taker_asset_id: string
  readonly maker_amount_filled: string // raw, 6 decimals
  readonly taker_amount_filled: string
  readonly fee: string // raw, 6 decimals, in fee_asset
  readonly fee_asset: FeeAsset
  readonly fee_shares: number // the fee when paid in outcome tokens, else 0
  readonly fee_usdc: number // the fee when paid in collateral, else 0
  readonly builder: string // V2 bytes32, "" in V1
  readonly metadata: string // V2 bytes32, "" in V1
  readonly wallet: string // the maker: fills are stored from the maker's perspective
  readonly side: string // "BUY" | "SELL" from the maker's perspective
  readonly token_id: string
  readonly condition_id: string // "" when the token is not in market_tokens
  readonly outcome_index: number // -1 when unknown
  readonly price: number
  readonly size: number // shares
  readonly usdc: number
  readonly is_taker_leg: number // 1 when taker is an exchange contract
  readonly source: string // "goldsky" | "rpc"
  readonly ingested_at: number
}

/** What a fill's fee is paid in: V1 charges what the order receives (tokens on a BUY); V2 collateral (assumed). */
export type FeeAsset = "token" | "collateral"

export interface ExternalTradeRow {
  readonly external_trade_id: string
  readonly wallet: string
  readonly side: string
  readonly token_id: string
  readonly condition_id: string
  readonly outcome_index: number
  readonly outcome: string
  readonly price: number
  readonly size: number
  readonly usdc: number
  readonly timestamp: number
  readonly tx_hash: string
  readonly title: string
  readonly slug: string
  readonly source: string // "data-api-v1" | "data-api-v2"
  readonly ingested_at: number
}

export interface Erc20TransferRow {
  readonly tx_hash: string
  readonly log_index: number
  readonly block_number: number
  readonly timestamp: number
  readonly token: string // contract address
  readonly from_address: string
  readonly to_address: string
  readonly amount: string // raw uint256 decimal
  readonly ingested_at: number
}

export interface Erc1155TransferRow {
  readonly tx_hash: string
  readonly log_index: number
  readonly batch_index: number // 0 for TransferSingle
  readonly block_number: number
  readonly timestamp: number
  readonly contract: string
  readonly operator: string
  readonly from_address: string
  readonly to_address: string
  readonly token_id: string
  readonly amount: string
  readonly zero_value: number // 1 when amount is 0 (a batch can list an id it moves nothing of)
  readonly ingested_at: number
}

/** A ConditionResolution of the CTF: payouts per outcome slot, read on chain. */
export interface MarketResolutionRow {
  readonly condition_id: string
  readonly oracle: string
  readonly question_id: string
  readonly outcome_slot_count: number
  readonly payout_numerators: ReadonlyArray<string> // uint256 as decimal strings
  readonly payout_denominator: string // sum of the numerators
  readonly winning_outcome_index: number // the one non-zero slot, -1 when several (void/split)
  readonly is_void: number // 1 when more than one slot pays
  readonly resolved_at: number
  readonly block_number: number
  readonly tx_hash: string
  readonly log_index: number
  readonly source: string // "rpc"
  readonly updated_at: number
}

/** A UTC day's block range, found once by binary search on block timestamps and kept. */
export interface ChainDayRow {
  readonly day: string // YYYY-MM-DD
  readonly from_block: number
  readonly to_block: number
  readonly updated_at: number
}

export type UnitStatus = "pending" | "in_progress" | "done" | "error"

export interface BackfillUnitRow {
  readonly job: string
  readonly unit_key: string
  readonly shard_hash: number // cityHash-independent stable hash, computed in domain code
  readonly status: UnitStatus
  readonly cursor: string // opaque, job-specific JSON; "" at start
  readonly attempts: number
  readonly rows: number
  readonly error_message: string
  readonly run_id: string
  readonly last_run_at: number
  readonly payload: string // job-specific JSON describing the unit (e.g. token ids of a market)
  readonly version: number // ReplacingMergeTree version: monotonically increasing (ms clock)
}

/** What choosing a run's units needs of each: a run of a large plan holds these (about 0.3 KB a unit), not full rows. */
export type UnitHead = Pick<BackfillUnitRow, "unit_key" | "shard_hash" | "status" | "run_id">

export interface WorkerHeartbeatRow {
  readonly job: string
  readonly run_id: string
  readonly host: string
  readonly pid: number
  readonly shard: string // "i/N"
  /** running while it beats; the final beat says how it ended ('' in rows written before migration 0003). */
  readonly state: RunState | ""
  readonly workers_limit: number
  readonly in_flight: number
  readonly units_in_flight: number
  readonly units_done: number
  readonly units_error: number
  readonly rows: number
  readonly rows_per_sec: number
  readonly rate_limited_share: number
  readonly started_at: number
  readonly updated_at: number
}

/** A run's state in its heartbeat: `running`, then how it ended in its final beat. */
export type RunState = "running" | "finished" | "interrupted" | "failed"

export interface QuarantineRow {
  readonly job: string
  readonly unit_key: string
  readonly source: string // e.g. "gamma", "goldsky"
  readonly reason: string
  readonly raw: string // the raw payload, as received
  readonly run_id: string
  readonly created_at: number
}

export interface GovernorLimitRow {
  readonly host: string
  readonly endpoint: string
  readonly safe_limit: number
  readonly updated_at: number
}

export const TABLES = {
  markets: "markets",
  marketTokens: "market_tokens",
  clobFills: "clob_fills",
  externalTrades: "external_trades_raw",
  erc20Transfers: "erc20_transfers",
  erc1155Transfers: "erc1155_transfers",
  backfillUnits: "backfill_units",
  workerHeartbeats: "worker_heartbeats",
  quarantine: "quarantine",
  governorLimits: "governor_limits",
  schemaMigrations: "schema_migrations",
  marketResolutions: "market_resolutions",
  chainDays: "chain_days",
  rpcHealth: "rpc_health"
} as const
