import { defineConfig } from "vitest/config";

const packages = ["core", "emulator", "cli", "broker"] as const;

export default defineConfig({
  test: {
    // The JSON report is what `.ci/run` reads to print its closing `N passed, N failed` line.
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `packages/${name}`,
          include: ["test/**/*.test.ts", "test-d/**/*.test.ts"],
        },
      })),
      {
        extends: true as const,
        test: {
          name: "repo",
          include: [
            "bench/**/*.test.ts",
            "reliability/**/*.test.ts",
            "scripts/**/*.test.ts",
            "examples/**/*.test.ts",
          ],
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
  },
});
