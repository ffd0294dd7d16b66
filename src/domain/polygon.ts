/**
 * Polygon (chain 137) facts shared by the RPC clients, the jobs and the simulator: contract addresses
 * (lowercase), event topic0 hashes (keccak-256 of the signatures, checked with viem's toEventSelector)
 * and the CLOB era boundary. Sources: polymarket-sources.md §4.
 */

export const POLYGON_CHAIN_ID = 137

export const CONTRACTS = {
  ctf: "0x4d97dcd97ec945f40cf65f87097ace5ea0476045",
  ctfExchangeV1: "0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e",
  negRiskExchangeV1: "0xc5d563a36ae78145c45a50134d48a1215220f80a",
  negRiskAdapter: "0xd91e80cf2e7be2e162c6513ced06f1dd0da35296",
  negRiskWrappedCollateral: "0x3a3bd7bb9528e159577f7c2e685cc81a765002e2",
  usdce: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
  ctfExchangeV2: "0xe111180000d2663c0091e4f400237545b87b996b",
  negRiskExchangeV2: "0xe2222d279d744050d28e00520010520000310f59",
  pusd: "0xc011a7e12a19f7b1f670d46f03b03f3342e82dfb",
  umaCtfAdapter: "0x6a9d222616c90fca5754cd1333cfd9b7fb6a4f74"
} as const

/** The four exchange contracts: an OrderFilled whose `taker` is one of them is the taker leg. */
export const EXCHANGE_ADDRESSES: ReadonlyArray<string> = [
  CONTRACTS.ctfExchangeV1,
  CONTRACTS.negRiskExchangeV1,
  CONTRACTS.ctfExchangeV2,
  CONTRACTS.negRiskExchangeV2
]

export const isExchangeAddress = (address: string): boolean => EXCHANGE_ADDRESSES.includes(address.toLowerCase())

export const TOPICS = {
  orderFilledV1: "0xd0a08e8c493f9c94f29311604c9de1b4e8c8d4c06bd0c789af57f2d65bfec0f6",
  ordersMatchedV1: "0x63bf4d16b7fa898ef4c4b2b6d90fd201e9c56313b65638af6088d149d2ce956c",
  orderFilledV2: "0xd543adfd945773f1a62f74f0ee55a5e3b9b1a28262980ba90b1a89f2ea84d8ee",
  ordersMatchedV2: "0x174b3811690657c217184f89418266767c87e4805d09680c39fc9c031c0cab7c",
  tokenRegistered: "0xbc9a2432e8aeb48327246cddd6e872ef452812b4243c04e6bfb786a2cd8faf0d",
  transferSingle: "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62",
  transferBatch: "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb",
  erc20Transfer: "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
  conditionPreparation: "0xab3760c3bd2bb38b5bcf54dc79802ed67338b4cf29f3054ded67ed24661e4177",
  conditionResolution: "0xb44d84d3289691f71497564b85d4233648d9dbae8cbdbb4329f301c3a0185894",
  positionSplit: "0x2e6bb91f8cbcda0c93623c54d0403a43514fabc40084ec96b6d5379a74786298",
  positionsMerge: "0x6f13ca62553fcc2bcd2372180a43949c1e4cebba603901ede2f4e14f36b282ca",
  payoutRedemption: "0x2682012a4a4f1973119f1c9b90745d1bd91fa2bab387344f044cb3586864d18d"
} as const

/** Event ABIs (viem's shape) for decoding logs with decodeEventLog. */
export const EVENT_ABIS = [
  {
    type: "event",
    name: "OrderFilled",
    inputs: [
      { name: "orderHash", type: "bytes32", indexed: true },
      { name: "maker", type: "address", indexed: true },
      { name: "taker", type: "address", indexed: true },
      { name: "makerAssetId", type: "uint256", indexed: false },
      { name: "takerAssetId", type: "uint256", indexed: false },
      { name: "makerAmountFilled", type: "uint256", indexed: false },
      { name: "takerAmountFilled", type: "uint256", indexed: false },
      { name: "fee", type: "uint256", indexed: false }
    ]
  },
  {
    type: "event",
    name: "OrdersMatched",
    inputs: [
      { name: "takerOrderHash", type: "bytes32", indexed: true },
      { name: "takerOrderMaker", type: "address", indexed: true },
      { name: "makerAssetId", type: "uint256", indexed: false },
      { name: "takerAssetId", type: "uint256", indexed: false },
      { name: "makerAmountFilled", type: "uint256", indexed: false },
      { name: "takerAmountFilled", type: "uint256", indexed: false }
    ]
  },
  {
    type: "event",
    name: "TransferSingle",
    inputs: [
      { name: "operator", type: "address", indexed: true },
      { name: "from", type: "address", indexed: true },
      { name: "to", type: "address", indexed: true },
      { name: "id", type: "uint256", indexed: false },
      { name: "value", type: "uint256", indexed: false }
    ]
  },
  {
    type: "event",
    name: "TransferBatch",
    inputs: [
      { name: "operator", type: "address", indexed: true },
      { name: "from", type: "address", indexed: true },
      { name: "to", type: "address", indexed: true },
      { name: "ids", type: "uint256[]", indexed: false },
      { name: "values", type: "uint256[]", indexed: false }
    ]
  },
  {
    type: "event",
    name: "Transfer",
    inputs: [
      { name: "from", type: "address", indexed: true },
      { name: "to", type: "address", indexed: true },
      { name: "value", type: "uint256", indexed: false }
    ]
  },
  {
    type: "event",
    name: "ConditionResolution",
    inputs: [
      { name: "conditionId", type: "bytes32", indexed: true },
      { name: "oracle", type: "address", indexed: true },
      { name: "questionId", type: "bytes32", indexed: true },
      { name: "outcomeSlotCount", type: "uint256", indexed: false },
      { name: "payoutNumerators", type: "uint256[]", indexed: false }
    ]
  }
] as const

/** V2 layouts: same event names, different fields (a separate ABI so decodeEventLog picks by topic0). */
export const EVENT_ABIS_V2 = [
  {
    type: "event",
    name: "OrderFilled",
    inputs: [
      { name: "orderHash", type: "bytes32", indexed: true },
      { name: "maker", type: "address", indexed: true },
      { name: "taker", type: "address", indexed: true },
      { name: "side", type: "uint8", indexed: false },
      { name: "tokenId", type: "uint256", indexed: false },
      { name: "makerAmountFilled", type: "uint256", indexed: false },
      { name: "takerAmountFilled", type: "uint256", indexed: false },
      { name: "fee", type: "uint256", indexed: false },
      { name: "builder", type: "bytes32", indexed: false },
      { name: "metadata", type: "bytes32", indexed: false }
    ]
  },
  {
    type: "event",
    name: "OrdersMatched",
    inputs: [
      { name: "takerOrderHash", type: "bytes32", indexed: true },
      { name: "takerOrderMaker", type: "address", indexed: true },
      { name: "side", type: "uint8", indexed: false },
      { name: "tokenId", type: "uint256", indexed: false },
      { name: "makerAmountFilled", type: "uint256", indexed: false },
      { name: "takerAmountFilled", type: "uint256", indexed: false }
    ]
  }
] as const

/**
 * CLOB V2 starts on 2026-04-28 (00:00 UTC) at block 84,902,353 (poly_data's V2 genesis). The simulator's
 * block clock is anchored there: block b has timestamp V2_GENESIS_TIMESTAMP + (b - V2_GENESIS_BLOCK) * 2.
 */
export const V2_GENESIS_BLOCK = 84_902_353
export const V2_GENESIS_TIMESTAMP = 1_777_334_400 // 2026-04-28T00:00:00Z
export const BLOCK_TIME_SECONDS = 2

export type Era = "v1" | "v2"

export const eraOfTimestamp = (timestamp: number): Era => (timestamp >= V2_GENESIS_TIMESTAMP ? "v2" : "v1")
export const eraOfBlock = (block: number): Era => (block >= V2_GENESIS_BLOCK ? "v2" : "v1")
