import { randomUUID } from 'node:crypto';
import { TestApp, useTestApp } from './support/app';
import { documentedOperations, OpenApiDocument, operationKey, SchemaObject } from './support/openapi';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Every (method, path) the running Express router answers, read from its route layers.
 * Left out: the explorer's own routes under /docs, and Nest's mounts of global middleware
 * (pino-http is applied to every path, which Nest registers as `/{*path}` for every method).
 */
function servedRoutes(t: TestApp): string[] {
  const router = (t.app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } }).router;
  const routes: string[] = [];
  for (const layer of router.stack) {
    const route = layer.route;
    if (!route) continue;
    if (route.path === '/docs' || route.path.startsWith('/docs/') || route.path.startsWith('/docs-')) continue;
    if (route.path === '/{*path}') continue;
    for (const [method, on] of Object.entries(route.methods)) {
      if (on) routes.push(operationKey(method, route.path));
    }
  }
  return routes.sort();
}

/** A schema that says something: a resolvable $ref, or a type (arrays: of something that says something). */
function expectUsableSchema(doc: OpenApiDocument, schema: SchemaObject | undefined, where: string): void {
  expect({ where, schema }).toEqual({ where, schema: expect.any(Object) });
  if (schema!.$ref) {
    const name = schema!.$ref.replace('#/components/schemas/', '');
    expect({ where, resolves: name in doc.components.schemas }).toEqual({ where, resolves: true });
  } else if (schema!.type === 'array') {
    expectUsableSchema(doc, schema!.items, `${where} items`);
  } else {
    expect({ where, type: schema!.type }).toEqual({ where, type: expect.any(String) });
  }
}

describe('OpenAPI document', () => {
  const t = useTestApp();
  let doc: OpenApiDocument;
  beforeAll(async () => {
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
  });

  it('should serve the Swagger UI explorer at /docs as HTML', async () => {
    const res = await t.http.get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
  });

  it('should serve every script and stylesheet the explorer page references', async () => {
    const page = await t.http.get('/docs').expect(200);
    const assets = [...page.text.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const path = new URL(asset, 'http://localhost/docs').pathname;
      const res = await t.http.get(path);
      expect({ asset: path, status: res.status }).toEqual({ asset: path, status: 200 });
    }
  });

  it('should serve /docs-json as an OpenAPI 3 document', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(res.body.paths).length).toBeGreaterThan(0);
  });

  it('should declare a bearer security scheme', () => {
    const schemes = Object.values(doc.components.securitySchemes ?? {});
    expect(schemes).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });

  it('should document exactly the routes the app serves', () => {
    const served = servedRoutes(t);
    const documented = documentedOperations(doc).map(([key]) => key);
    // Sanity: the router was really read (the contract's core routes are among them).
    expect(served).toEqual(expect.arrayContaining(['POST /auth/register', 'GET /lists/{id}', 'GET /health']));
    expect(new Set(served).size).toBe(served.length);
    expect(documented).toEqual(served);
  });

  it('should give every success answer except 204 a response schema', () => {
    for (const [key, op] of documentedOperations(doc)) {
      const successes = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      expect({ key, successes: successes.length }).toEqual({ key, successes: 1 });
      const [status] = successes;
      if (status === '204') {
        expect({ key, content: op.responses[status].content }).toEqual({ key, content: undefined });
        continue;
      }
      // JSON for every route but the receipt download, which documents its binary types.
      const content = op.responses[status].content ?? {};
      const schema = content['application/json']?.schema ?? Object.values(content)[0]?.schema;
      expectUsableSchema(doc, schema, `${key} ${status}`);
    }
  });

  it('should give every documented error answer the ErrorBody schema', () => {
    for (const [key, op] of documentedOperations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const schema = response.content?.['application/json']?.schema;
        expect({ key, status, ref: schema?.$ref }).toEqual({ key, status, ref: '#/components/schemas/ErrorBody' });
      }
    }
  });

  it('should declare bearer security and a 401 on exactly the operations that need a token', async () => {
    const bearerNames = Object.entries(doc.components.securitySchemes ?? {})
      .filter(([, scheme]) => scheme.type === 'http' && scheme.scheme === 'bearer')
      .map(([name]) => name);
    let protectedCount = 0;
    for (const [key, op] of documentedOperations(doc)) {
      const [method, template] = key.split(' ');
      const path = template.replace(/\{[^}]+\}/g, () => randomUUID());
      // Guards run before validation: a protected route answers 401 to any request without a token.
      const res = await t.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](path).send({});
      const needsToken = res.status === 401;
      if (needsToken) protectedCount += 1;
      const declaresBearer = (op.security ?? []).some((requirement) => bearerNames.some((name) => name in requirement));
      expect({ key, needsToken, declaresBearer }).toEqual({ key, needsToken, declaresBearer: needsToken });
      if (needsToken) expect({ key, documents401: '401' in op.responses }).toEqual({ key, documents401: true });
    }
    expect(protectedCount).toBeGreaterThan(0);
  });
});
