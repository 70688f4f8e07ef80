// seed.mjs - records the browser tests make through the API, each named
// uniquely so tests sharing one daemon never see each other's data.

// Environments in promotion order: {dev, staging, production} names
// (unique), production protected with policy when given.
let nextRank = 100;
export async function environments(t, { policy } = {}) {
  const rank = nextRank;
  nextRank += 3;
  const names = {};
  for (const [i, key] of ['dev', 'staging', 'production'].entries()) {
    const name = t.uniq(key);
    await t.must(201, 'POST', '/v1/environments', { name, rank: rank + i, protected: key === 'production' });
    names[key] = name;
  }
  if (policy) await t.must(200, 'PUT', `/v1/environments/${names.production}/policy`, policy);
  return names;
}

export async function service(t, extra = {}) {
  const name = t.uniq('svc');
  return t.must(201, 'POST', '/v1/services', { name, owner: t.uniq('team'), tier: 2, ...extra });
}

export async function release(t, svc, version, extra = {}) {
  return t.must(201, 'POST', '/v1/releases', { service: svc, version, type: 'minor', ...extra });
}

// A deployment of rel to env that ends in status (succeeded by default).
export async function deploy(t, rel, env, status = 'succeeded', extra = {}) {
  const dep = await t.must(201, 'POST', '/v1/deployments', { release: rel.id, environment: env, status: 'in_progress', ...extra });
  if (status === 'in_progress') return dep;
  const ev = await t.must(201, 'POST', `/v1/deployments/${dep.id}/events`, { status });
  return ev.deployment;
}
