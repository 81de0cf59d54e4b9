import { harness, signUp, OWNER, INTRUDER, PASSWORD } from '../packages/gatehouse/src/recovery/attack-harness.ts';
const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
const h = await harness(backend);
const statuses = new Map<string, number>();
const samples: string[] = [];
try {
  const accts = [];
  for (let i = 0; i < 20; i++) accts.push(await signUp(h, `race.${i}`));
  for (let round = 0; round < 5; round++) {
    const jobs: Promise<void>[] = [];
    for (const a of accts)
      for (let k = 0; k < 6; k++) {
        const from = k % 3 === 0 ? OWNER : k % 3 === 1 ? INTRUDER : { ip: `100.64.${round}.${k}`, ua: `UA-${k}` };
        jobs.push(
          h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD }, from }).then((r) => {
            const key = `${r.status} ${(r.json?.code as string) ?? ''}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
            if (r.status >= 500 && samples.length < 5) samples.push(r.text.slice(0, 300));
          }),
        );
      }
    await Promise.all(jobs);
  }
} finally {
  console.log(backend, Object.fromEntries(statuses), samples);
  await h.cleanup();
}
