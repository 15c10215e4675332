// Types of scripts/build-console.mjs, for the TypeScript that calls it (test/support/console-build.ts).
export declare const CONSOLE_SOURCE_BUILD: string;
export declare function buildConsole(options?: { outdir?: string }): Promise<{ outdir: string; files: string[] }>;
export declare function buildConsoleIfStale(): Promise<{ outdir: string; rebuilt: boolean }>;
