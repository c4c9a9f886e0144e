// Writes the int8 MobileNetV2 of test/helpers/mobilenet.ts as a .tflite (default 1.0 at 224x224x3), e.g. to try
// `espforge build OUT.tflite --module esp32-s3-wroom-1-n8r8`. Usage: npx tsx scripts/mobilenetv2-224.ts OUT.tflite [alpha] [size]
import { writeFileSync } from 'node:fs';
import { mobileNetV2Int8 } from '../test/helpers/mobilenet.js';
import { exportTflite } from '../src/import/tflite/writer.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: npx tsx scripts/mobilenetv2-224.ts OUT.tflite [alpha] [size]');
  process.exit(2);
}
const g = await mobileNetV2Int8(Number(process.argv[3] ?? 1), Number(process.argv[4] ?? 224));
writeFileSync(out, exportTflite(g));
console.log(`wrote ${out}: ${g.nodes.length} nodes`);
