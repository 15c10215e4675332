import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { storeContract } from "./store-contract.js";

storeContract("MemoryStore", async () => {
  const store = new MemoryStore({ retentionMs: 86_400_000, purgeIntervalMs: 0 });
  // One process: the "other instance" is the same store.
  return { store, second: store, atomicWrites: true, close: () => store.close() };
});
