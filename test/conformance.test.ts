/**
 * Differential conformance with Go's os/exec: every case of
 * test/conformance/cases.cjs is started by a Go driver (os/exec + SysProcAttr)
 * and by a procctl driver, both starting the same static probe, which reports
 * the kernel's view of itself; the two reports must agree except where a case
 * names a deliberate difference. See docs/conformance.md.
 *
 * One case: `npx vitest run test/conformance.test.ts -t <name>`, or
 * `node test/conformance/harness.cjs <name>` for the full difference listing.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Case {
  name: string;
  about: string;
  options: Record<string, unknown>;
  differs?: { reason: string; fields: Record<string, { go: string | null; procctl: string | null }> };
  procctlOnly?: { options: string[]; reason: string; fields: Record<string, { go: string | null; procctl: string | null }> };
  refused?: string;
  fix?: string;
}
interface CaseResult {
  go: Record<string, string>;
  procctl: Record<string, string>;
  diffs: Array<{ field: string; go: string | null; procctl: string | null }>;
  problems: string[];
  pass: boolean;
}
interface Harness {
  cases: Case[];
  goStatus(): { ok: true; version: string } | { ok: false; reason: string };
  prepare(): Promise<{ goVersion: string; cleanup(): void }>;
  runCase(ctx: unknown, c: Case, opts?: { drop?: string }): Promise<CaseResult>;
  describe(c: Case, r: CaseResult): string;
  witnesses(): Array<[string, Case]>;
  caseUnavailable(c: Case): string | null;
  dropOption(ctx: unknown, c: Case, option: string): Promise<{ noticed: boolean; dropped: CaseResult; base: CaseResult }>;
}

const harness = createRequire(__filename)('./conformance/harness.cjs') as Harness;

// Above the harness's own limit for a hung driver (180 s a side), so that one
// reports what hung; a case takes about 0.3 s.
const CASE_TIMEOUT_MS = 400_000;

/** Why the suite cannot run here, or null. */
function unavailable(): string | null {
  if (process.platform !== 'linux') return `Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (credential drops, useradd, capability sets)';
  const go = harness.goStatus();
  if (!go.ok) {
    // .ci/run says why it could not install Go; anywhere else a missing Go is the reason.
    return process.env.PROCCTL_CONFORMANCE_NO_GO ? `${go.reason}; ${process.env.PROCCTL_CONFORMANCE_NO_GO}` : go.reason;
  }
  return null;
}

const skipReason = unavailable();
if (skipReason !== null) console.warn(`conformance suite skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('conformance with Go os/exec', () => {
  let ctx: Awaited<ReturnType<Harness['prepare']>>;

  beforeAll(async () => {
    // Builds the probe (cc -static), the parent-state wrapper and the Go driver.
    ctx = await harness.prepare();
  }, 300_000);

  afterAll(() => ctx?.cleanup());

  it('has every case named once; each deliberate difference and procctl-only case gives its reason', () => {
    const names = harness.cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of harness.cases) {
      expect(c.differs !== undefined && c.procctlOnly !== undefined, c.name).toBe(false);
      if (c.differs) {
        expect(c.differs.reason.length, c.name).toBeGreaterThan(20);
        expect(Object.keys(c.differs.fields).length, c.name).toBeGreaterThan(0);
      }
      // Named as such, and leaving out of the Go side only options the case gives.
      expect(c.name.startsWith('procctl-only-'), c.name).toBe(c.procctlOnly !== undefined);
      if (c.procctlOnly) {
        expect(c.procctlOnly.reason.length, c.name).toBeGreaterThan(20);
        expect(c.procctlOnly.options.length, c.name).toBeGreaterThan(0);
        for (const o of c.procctlOnly.options) expect(Object.keys(c.options), c.name).toContain(o.split('.')[0]);
      }
    }
  });

  for (const c of harness.cases) {
    const why = harness.caseUnavailable(c);
    if (why !== null) console.warn(`conformance case ${c.name} skipped: ${why}`);
    it.skipIf(why !== null)(`${c.name}: ${c.about}`, async () => {
      const r = await harness.runCase(ctx, c);
      expect(r.problems, harness.describe(c, r)).toEqual([]);
    }, CASE_TIMEOUT_MS);
  }

  // The suite must catch an option procctl accepts but does not apply: the
  // procctl driver leaves one option out (PROCCTL_CONFORMANCE_DROP), and the
  // case that shows it with the fewest other options must then differ from Go
  // in a field it did not differ in before.
  describe('self-test: a dropped option is noticed', () => {
    for (const [option, c] of harness.witnesses()) {
      it.skipIf(harness.caseUnavailable(c) !== null)(`without ${option}, ${c.name} differs from Go`, async () => {
        const { noticed, dropped } = await harness.dropOption(ctx, c, option);
        expect(noticed, `dropping ${option} went unnoticed:\n${harness.describe(c, dropped)}`).toBe(true);
        expect(dropped.pass).toBe(false);
      }, CASE_TIMEOUT_MS);
    }
  });
});
