import { Layer } from "effect"
import { layerGammaSource } from "./GammaSourceLive.js"
import { layerGoldskySource } from "./GoldskySourceLive.js"
import { layerPolygonRpcLazy } from "./PolygonRpcLazy.js"

/** Every source port the jobs use, over HTTP; needs HttpTransport, Governor and Sources (the URLs). */
export const layerSourceClients = Layer.mergeAll(layerGammaSource, layerGoldskySource, layerPolygonRpcLazy)
