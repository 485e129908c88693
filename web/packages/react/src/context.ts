import { createContext } from "react";
import type { ParleyClient } from "@parley/core";

/** ParleyContext carries the ParleyClient; use ParleyProvider to set it. */
export const ParleyContext = createContext<ParleyClient | null>(null);
