import type { Context, Middleware, Next } from 'koa';

/**
 * Runs `middleware` (a router's) only for paths under one of `prefixes`, compared without regard
 * to case as the routers compare paths; other requests go straight on. A router tests every route
 * it holds against every request that reaches it, so each request paid for the admin API's, the
 * health and the metrics routes before reaching SCIM's (docs/benchmarks.md, "Sixth run"). A prefix
 * is a plain string start: a router never matches a path outside its prefix, so the gate changes
 * nothing of what is answered, only what is tried.
 */
export function onlyUnder(prefixes: readonly string[], middleware: Middleware): Middleware {
  const lowered = prefixes.map((prefix) => prefix.toLowerCase());
  return (ctx: Context, next: Next) => {
    const path = ctx.path.toLowerCase();
    return lowered.some((prefix) => path.startsWith(prefix)) ? middleware(ctx, next) : next();
  };
}
