import type { Caps } from "./config.js"
import type { SimRequest, SimResponse } from "./response.js"
import { json } from "./response.js"
import type { World } from "./world.js"

export const rpcMethodsOf = (_body: string): string => "call"
export const handleRpc = (_world: World, _caps: Caps, _req: SimRequest): SimResponse => json(404, {})
