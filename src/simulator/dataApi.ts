import type { Caps } from "./config.js"
import type { SimRequest, SimResponse } from "./response.js"
import { json } from "./response.js"
import type { World } from "./world.js"

export const handleDataApi = (_world: World, _caps: Caps, req: SimRequest): SimResponse => json(404, { error: `no route ${req.path}` })
