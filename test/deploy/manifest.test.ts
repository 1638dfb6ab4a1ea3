/**
 * deploy/kubernetes.yaml, the example deployment: parsed with `yaml` and held to the
 * rules an operator relies on (one daemon per state, probes and Prometheus on the
 * configured admin port, secrets only through secretKeyRef, non-root with /data the
 * only writable mount), and its config.json checked by the connector's own schema.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { environment, parseStages } from './dockerfile.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MANIFEST = readFileSync(join(ROOT, 'deploy', 'kubernetes.yaml'), 'utf8');
/** What the image sets (Dockerfile ENV of the default stage): the pod's environment starts from it. */
const stages = parseStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const IMAGE_ENV = environment(stages, stages.at(-1)!);

/** Kubernetes objects, read as plain parsed YAML. */
type K8s = any;

function objects(text: string): K8s[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`deploy/kubernetes.yaml: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as K8s;
  }).filter((o) => o !== null);
}

const one = (all: K8s[], kind: string): K8s => all.find((o) => o.kind === kind);

/** A container port given by name or number, as its number. */
function portOf(container: K8s, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: K8s) => p.name === port)?.containerPort;
}

/** Every rule the manifest breaks, one line each; empty when it is right. */
function manifestProblems(text: string): string[] {
  const problems: string[] = [];
  const all = objects(text);
  const kinds = all.map((o) => o.kind).sort();
  if (JSON.stringify(kinds) !== JSON.stringify(['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Secret', 'Service'])) problems.push(`kinds: ${kinds.join(', ')}`);
  const [configMap, secret, claim, deployment, service] = ['ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Deployment', 'Service'].map((k) => one(all, k));
  if (!configMap || !secret || !claim || !deployment || !service) return problems;

  const parsed = configSchema.safeParse(JSON.parse(configMap.data?.['config.json'] ?? 'null'));
  if (!parsed.success) return [...problems, `config.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`];
  const config = parsed.data;
  if (config.admin === undefined) return [...problems, 'config.json has no admin section'];
  if (config.admin.host !== '0.0.0.0') problems.push(`admin.host ${config.admin.host}: a probe from the kubelet needs 0.0.0.0 in the pod`);

  if (deployment.spec.replicas !== 1) problems.push(`replicas ${deployment.spec.replicas}: one daemon per state`);
  if (deployment.spec.strategy?.type !== 'Recreate') problems.push(`strategy ${deployment.spec.strategy?.type ?? 'RollingUpdate (default)'}: two pods would share the state during an update`);
  const pod = deployment.spec.template;
  const labels = pod.metadata?.labels ?? {};
  const selects = (selector: Record<string, string> | undefined) => selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
  if (!selects(deployment.spec.selector?.matchLabels)) problems.push('the Deployment selector does not match its pods');
  if (!selects(service.spec.selector)) problems.push('the Service selector does not match the pods');
  if (!((pod.spec.terminationGracePeriodSeconds ?? 30) >= 60)) problems.push(`terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds ?? 30}: under a minute`);

  const security = pod.spec.securityContext ?? {};
  if (security.runAsNonRoot !== true) problems.push('runAsNonRoot is not true');
  if (security.runAsUser === 0) problems.push('runAsUser 0');
  if (typeof security.fsGroup !== 'number') problems.push('no fsGroup: the volume would not be writable by the user');

  const containers: K8s[] = pod.spec.containers ?? [];
  if (containers.length !== 1) return [...problems, `${containers.length} containers`];
  const [container] = containers;
  if (container.securityContext?.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
  if (container.securityContext?.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');

  // One port everywhere: the config's, the container's, the probes', the Service's target and the scrape annotation.
  const port = config.admin.port;
  const ports = {
    container: portOf(container, 'admin'),
    liveness: portOf(container, container.livenessProbe?.httpGet?.port),
    readiness: portOf(container, container.readinessProbe?.httpGet?.port),
    service: portOf(container, service.spec.ports?.[0]?.targetPort),
    scrape: Number(pod.metadata?.annotations?.['prometheus.io/port']),
  };
  for (const [where, p] of Object.entries(ports)) if (p !== port) problems.push(`${where} port ${p} is not admin.port ${port}`);
  if (container.livenessProbe?.httpGet?.path !== '/healthz') problems.push(`liveness probe on ${container.livenessProbe?.httpGet?.path}`);
  if (container.readinessProbe?.httpGet?.path !== '/readyz') problems.push(`readiness probe on ${container.readinessProbe?.httpGet?.path}`);
  if (pod.metadata?.annotations?.['prometheus.io/scrape'] !== 'true' || pod.metadata?.annotations?.['prometheus.io/path'] !== '/metrics') problems.push('no Prometheus scrape annotations for /metrics');

  // Secrets: from the Secret by secretKeyRef, never a value in the manifest.
  const env: K8s[] = container.env ?? [];
  const secretNames = ['CONNECT_API_KEY', 'ADMIN_TOKEN', ...config.payers.flatMap((p) => (p.externalIdEnv ? [p.externalIdEnv] : []))];
  for (const name of secretNames) {
    const entry = env.find((e) => e.name === name);
    const ref = entry?.valueFrom?.secretKeyRef;
    if (entry === undefined) problems.push(`${name} is not in the container's environment`);
    else if (entry.value !== undefined || ref === undefined) problems.push(`${name} is not from a secretKeyRef`);
    else if (ref.name !== secret.metadata.name || !(ref.key in { ...secret.stringData, ...secret.data })) problems.push(`${name}: no key ${ref.key} in Secret ${ref.name}`);
  }
  for (const [key, value] of Object.entries({ ...secret.stringData, ...secret.data })) if (value !== '') problems.push(`Secret ${key} holds a value: keep secrets out of the file`);
  if (config.payers.some((p) => p.externalId !== undefined)) problems.push('an externalId in config.json: use externalIdEnv');
  if (container.envFrom !== undefined) problems.push('envFrom: name each variable');

  // Volumes: /data from the claim, writable; every other mount read-only; the config where the image looks for it.
  const volumes: K8s[] = pod.spec.volumes ?? [];
  const mounts: K8s[] = container.volumeMounts ?? [];
  const data = mounts.find((m) => m.mountPath === '/data');
  const dataVolume = volumes.find((v) => v.name === data?.name);
  if (data === undefined || data.readOnly === true) problems.push('/data is not mounted writable');
  else if (dataVolume?.persistentVolumeClaim?.claimName !== claim.metadata.name) problems.push(`/data is not the claim ${claim.metadata.name}`);
  for (const m of mounts) if (m.mountPath !== '/data' && m.readOnly !== true) problems.push(`${m.mountPath} is mounted writable`);
  const configMount = mounts.find((m) => volumes.find((v) => v.name === m.name)?.configMap?.name === configMap.metadata.name);
  const configPath = env.find((e) => e.name === 'NATIVE_RATING_CONFIG')?.value ?? IMAGE_ENV.get('NATIVE_RATING_CONFIG');
  if (configMount === undefined || `${configMount.mountPath}/config.json` !== configPath) problems.push(`the ConfigMap is not mounted where the image reads ${configPath}`);
  return problems;
}

describe('deploy/kubernetes.yaml', () => {
  const all = objects(MANIFEST);
  const deployment = one(all, 'Deployment');
  const container = deployment.spec.template.spec.containers[0];
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps every rule of the example deployment', () => {
    expect(manifestProblems(MANIFEST)).toEqual([]);
  });

  it('holds a ConfigMap, a Secret, a claim, a Deployment and a Service', () => {
    expect(all.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/native-rating-config',
      'Secret/native-rating-secrets',
      'PersistentVolumeClaim/native-rating-data',
      'Deployment/native-rating',
      'Service/native-rating',
    ]);
  });

  it('runs one daemon, replaced by Recreate, probed on the admin port 8080', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(container.ports).toEqual([{ name: 'admin', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
  });

  it('loads as the pod would: the config file with the image\'s and the pod\'s environment puts the state on the /data volume', async () => {
    dir = await mkdtemp(join(tmpdir(), 'native-rating-manifest-'));
    const file = join(dir, 'config.json');
    await writeFile(file, one(all, 'ConfigMap').data['config.json']);
    const podEnv = Object.fromEntries(container.env.filter((e: K8s) => typeof e.value === 'string').map((e: K8s) => [e.name, e.value]));
    const { config } = await loadConfig(file, { ...Object.fromEntries(IMAGE_ENV), ...podEnv });
    expect(config.state.path).toBe('/data/native-rating.db');
    expect(config.state.outputDir).toBe('/data/runs');
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 8080 });
  });
});

describe('manifestProblems()', () => {
  // Each rule can fail: the real manifest with one thing broken yields that rule's problem.
  const broken: Array<[string, (text: string) => string, RegExp]> = [
    ['two replicas', (t) => t.replace('replicas: 1', 'replicas: 2'), /replicas 2/],
    ['a rolling update', (t) => t.replace('type: Recreate', 'type: RollingUpdate'), /strategy RollingUpdate/],
    ['a probe on another port', (t) => t.replace('httpGet: { path: /readyz, port: admin }', 'httpGet: { path: /readyz, port: 9090 }'), /readiness port 9090/],
    ['the config on another port', (t) => t.replace('"admin": { "host": "0.0.0.0", "port": 8080 }', '"admin": { "host": "0.0.0.0", "port": 9100 }'), /container port 8080 is not admin.port 9100/],
    ['the admin endpoint on loopback', (t) => t.replace('"host": "0.0.0.0"', '"host": "127.0.0.1"'), /admin.host 127.0.0.1/],
    ['a misspelt setting', (t) => t.replace('"marketplaceCurrency"', '"marketplaceCurency"'), /config.json: payers.0/],
    ['a literal API key', (t) => t.replace(/- name: CONNECT_API_KEY\n(\s+)valueFrom:\n\s+secretKeyRef: \{[^}]+\}/, '- name: CONNECT_API_KEY\n$1value: SU-1:secret'), /CONNECT_API_KEY is not from a secretKeyRef/],
    ['a secret value in the file', (t) => t.replace('ADMIN_TOKEN: ""', 'ADMIN_TOKEN: "s3cret"'), /Secret ADMIN_TOKEN holds a value/],
    ['root allowed', (t) => t.replace('runAsNonRoot: true', 'runAsNonRoot: false'), /runAsNonRoot/],
    ['a writable root filesystem', (t) => t.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'), /readOnlyRootFilesystem/],
    ['the data elsewhere', (t) => t.replace('mountPath: /data', 'mountPath: /var/lib/native-rating'), /\/data is not mounted writable/],
    ['a writable config mount', (t) => t.replace(/(mountPath: \/config\n\s+)readOnly: true/, '$1readOnly: false'), /\/config is mounted writable/],
    ['no Service', (t) => t.slice(0, t.lastIndexOf('---')), /kinds: ConfigMap, Deployment, PersistentVolumeClaim, Secret$/],
  ];
  it.each(broken)('finds %s', (_, breakIt, problem) => {
    const text = breakIt(MANIFEST);
    expect(text).not.toBe(MANIFEST);
    expect(manifestProblems(text).join('\n')).toMatch(problem);
  });
});
