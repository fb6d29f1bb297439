// Applies the @nestjs/swagger CLI plugin under ts-jest, so the OpenAPI document built in
// tests is the one `nest build` produces. Options must match nest-cli.json.
const plugin = require('@nestjs/swagger/plugin');

module.exports.name = 'nestjs-swagger-plugin';
module.exports.version = 1;
module.exports.factory = (compiler) =>
  plugin.before(
    { classValidatorShim: true, introspectComments: true, dtoFileNameSuffix: ['.dto.ts', '.response.ts'] },
    compiler.program,
  );
