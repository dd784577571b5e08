/**
 * `npm start`: the main job. Today it checks the toolkit end to end (backend, seeded RNG); as the
 * kernel and tutorials land it registers the kernel and executes the notebooks headless.
 */
import { backendInfo, ready } from '../lib';

async function main(): Promise<void> {
  const backend = await ready();
  console.log(`cellfit: tensors run on the ${backend} backend`);
  for (const [name, status] of Object.entries(backendInfo().backends)) {
    console.log(`  ${name.padEnd(10)} ${status.available ? 'available' : `unavailable: ${status.reason}`}`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
