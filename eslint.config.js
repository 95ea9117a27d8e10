// ESLint flat config: typescript-eslint's type-aware recommended rules for every TypeScript file.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** The Node globals that the plain JavaScript files use (the `globals` package is not a dependency). */
const nodeGlobals = {
  process: "readonly",
  console: "readonly",
  setTimeout: "readonly",
  clearTimeout: "readonly",
  URL: "readonly",
  module: "writable",
  require: "readonly",
  __dirname: "readonly",
};

export default defineConfig(
  {
    ignores: ["node_modules/", "dist/", "data/", "test-output/", "coverage/"],
  },
  {
    // An `eslint-disable` comment that no longer suppresses anything is an error too.
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // TypeScript reports undefined names itself (it knows the DOM and Node globals); this rule does not see types.
      "no-undef": "off",
      // Off: the terminal-safety code matches control characters on purpose (that is its job), so every hit would be intended.
      "no-control-regex": "off",
      // Off: `async` without `await` is how this code implements Promise-returning interfaces (the stores, tool handlers), so that a throw becomes a rejection.
      "@typescript-eslint/require-await": "off",
      // A `_` prefix marks a binding that is unused on purpose.
      "@typescript-eslint/no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "all", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Passing on a caught error (`unknown`) or an abort reason (`any`) is propagation, not a new non-Error rejection.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true, allowThrowingAny: true }],
      // Beyond the preset: a `switch` over a union (event types, commands) that misses a member.
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // Beyond the preset: `return promise` inside try/catch skips the catch and finally when the promise rejects.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Tests read untyped wire data (`res.json()`, raw socket acknowledgements, `JSON.parse`) as a client would and check it with `expect`.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      // Tests reject with non-Error values on purpose, to check that the code copes with them.
      "@typescript-eslint/prefer-promise-reject-errors": "off",
    },
  },
);
