import type { HttpClient } from "@effect/platform"
import type { Governor } from "../../services/Governor.js"
import type { Sources } from "../../services/Sources.js"

/** What a job that talks HTTP needs (RequestPolicy is a Context.Reference with a default). */
export type HttpJobEnv = HttpClient.HttpClient | Governor | Sources
