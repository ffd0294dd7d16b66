import { Context } from "effect"
import type { SourceUrls } from "../domain/settings.js"

/** The base URLs of the remote sources, after flags and environment. */
export class Sources extends Context.Tag("polybackfill/Sources")<Sources, SourceUrls>() {}
