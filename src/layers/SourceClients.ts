import { Layer } from "effect"
import { layerDataApiSource } from "./DataApiSourceLive.js"
import { layerGammaSource } from "./GammaSourceLive.js"
import { layerGoldskySource } from "./GoldskySourceLive.js"
import { layerPolygonRpcPool } from "./PolygonRpcPool.js"
import { layerPolygonRpcLazy } from "./PolygonRpcLazy.js"

/** Every source port the jobs use, over HTTP; needs HttpTransport, Governor and Sources (the URLs). */
export const layerSourceClients = Layer.mergeAll(layerGammaSource, layerGoldskySource, layerDataApiSource, layerPolygonRpcLazy)

/** The same with the RPC pool started at once: for the jobs that read Polygon, so a bad RPC URL stops the command before any unit. */
export const layerSourceClientsRpcFirst = Layer.mergeAll(layerGammaSource, layerGoldskySource, layerDataApiSource, layerPolygonRpcPool)
