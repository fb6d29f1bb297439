/**
 * `node -r ./test/support/ts-register.js src/x.ts`: runs the TypeScript sources in a child
 * process without a build (the legacy import's e2e runs the command as an operator would).
 * Each file is transpiled on its own with the project's compiler options (decorator metadata
 * included), no type check: `npm run typecheck` does that.
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const configFile = path.join(__dirname, '..', '..', 'tsconfig.json');
const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(configFile));
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  incremental: false,
  sourceMap: false,
  inlineSourceMap: true,
  declaration: false,
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
