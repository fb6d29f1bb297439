import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { JwtAuthGuard } from '../src/auth/jwt-auth.guard';
import { IdempotencyInterceptor } from '../src/common/idempotency/idempotency.interceptor';
import { useTestApp } from './support/app';
import { registerUser } from './support/factories';

/** Every route of the app: its controller, method name, HTTP method and bound interceptors. */
function routes(container: ModulesContainer) {
  const found: { route: string; method: RequestMethod; interceptors: unknown[] }[] = [];
  for (const module of container.values()) {
    for (const controller of module.controllers.values()) {
      const prototype = (controller.metatype as { prototype: object }).prototype;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        found.push({
          route: `${controller.name}.${name}`,
          method: Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod,
          interceptors: (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [],
        });
      }
    }
  }
  return found;
}

describe('Global enhancers and the idempotent POST routes', () => {
  const t = useTestApp();

  it('should run no global interceptor and only the JWT guard globally (a global interceptor taxes every request)', () => {
    const config = (t.app as unknown as { config: ApplicationConfig }).config;
    const kinds = (enhancers: object[]) => enhancers.map((enhancer) => enhancer.constructor);
    expect(kinds(config.getGlobalInterceptors())).toEqual([]);
    expect(kinds(config.getGlobalGuards())).toEqual([JwtAuthGuard]);
  });

  it('should bind IdempotencyInterceptor to every POST route, and to no other', () => {
    const all = routes(t.app.get(ModulesContainer));
    const posts = all.filter((route) => route.method === RequestMethod.POST);
    expect(posts.map((route) => route.route).sort()).toEqual([
      'AuthController.confirmPasswordReset',
      'AuthController.login',
      'AuthController.logout',
      'AuthController.refresh',
      'AuthController.register',
      'AuthController.requestPasswordReset',
      'ItemsController.add',
      'ListsController.create',
      'ListsController.join',
      'ListsController.leave',
      'ListsController.rotateInviteCode',
      'StoresController.create',
      'StoresController.postOrder',
      'TicketsController.issue',
      'TripsController.attachReceipt',
      'TripsController.complete',
    ]);
    for (const route of posts)
      expect([route.route, route.interceptors]).toEqual([
        route.route,
        expect.arrayContaining([IdempotencyInterceptor]),
      ]);
    for (const route of all.filter((r) => r.method !== RequestMethod.POST)) {
      expect([route.route, route.interceptors.includes(IdempotencyInterceptor)]).toEqual([route.route, false]);
    }
  });

  it('should still replay a keyed POST through the route-bound interceptor', async () => {
    const u = await registerUser(t);
    const send = () =>
      t.http
        .post(`/lists/${u.listId}/items`)
        .set(u.auth)
        .set('Idempotency-Key', 'route-bound-1')
        .send({ name: 'Milk' });
    const first = await send().expect(201);
    const again = await send().expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const list = await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
    expect(list.body.items.map((item: { name: string }) => item.name)).toEqual(['Milk']);
  });
});
