// Plays a Fovea user on a stack no one at Fovea wrote a line of: kafkajs produces ImageEvents
// encoded by @kafkajs/confluent-schema-registry (which registers the schema itself), then
// consumes the worker's Predictions and decodes them with the same registry client.
//
// Input (environment): BOOTSTRAP, REGISTRY, IMAGES_TOPIC, PREDICTIONS_TOPIC, AVSC (path of
// ImageEvent.avsc), IMAGES (comma-separated image files), ID_PREFIX, TIMEOUT_MS.
// Output (stdout): one JSON line per image answered ({"imageId":...}), then {"done":true,...}.
// kafkajs may log JSON lines of its own to stdout too. Exit 1 on timeout.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import kafkajs from 'kafkajs';
import registryPkg from '@kafkajs/confluent-schema-registry';

const { Kafka, logLevel } = kafkajs;
const { SchemaRegistry, SchemaType } = registryPkg;
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

const imagesTopic = env('IMAGES_TOPIC');
const predictionsTopic = env('PREDICTIONS_TOPIC');
const files = env('IMAGES').split(',');
const prefix = env('ID_PREFIX');
const timeoutMs = Number(process.env.TIMEOUT_MS || 120000);

const registry = new SchemaRegistry({ host: env('REGISTRY') });
const kafka = new Kafka({ clientId: 'fovea-interop', brokers: [env('BOOTSTRAP')], logLevel: logLevel.ERROR });

const { id: schemaId } = await registry.register(
  { type: SchemaType.AVRO, schema: readFileSync(env('AVSC'), 'utf8') },
  { subject: `${imagesTopic}-value` },
);

const expected = new Set();
const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
await producer.connect();
const messages = [];
for (const [i, file] of files.entries()) {
  const id = `${prefix}${i}-${basename(file)}`;
  expected.add(id);
  const value = await registry.encode(schemaId, {
    id,
    data: readFileSync(file),
    contentType: null,
    timestamp: Date.now(),
    attributes: { client: 'kafkajs' },
  });
  messages.push({ key: id, value });
}
await producer.send({ topic: imagesTopic, messages });
await producer.disconnect();

const consumer = kafka.consumer({ groupId: `fovea-interop-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic: predictionsTopic, fromBeginning: true });
const answered = new Set();
const timer = setTimeout(async () => {
  console.log(JSON.stringify({ done: false, answered: answered.size, expected: expected.size }));
  process.exit(1);
}, timeoutMs);

await consumer.run({
  eachMessage: async ({ message }) => {
    const prediction = await registry.decode(message.value);
    if (!expected.has(prediction.imageId) || answered.has(prediction.imageId)) return;
    answered.add(prediction.imageId);
    console.log(JSON.stringify({
      key: message.key.toString(),
      schemaId: message.value.readInt32BE(1),
      imageId: prediction.imageId,
      model: prediction.model,
      top: prediction.top,
      crops: prediction.crops,
      attributes: prediction.attributes,
    }));
    if (answered.size === expected.size) {
      clearTimeout(timer);
      console.log(JSON.stringify({ done: true, answered: answered.size, imageSchemaId: schemaId }));
      // Not consumer.disconnect(): called from inside eachMessage it waits for this very handler
      // to return, forever. The group is throwaway, so leaving it by exiting is fine.
      process.exit(0);
    }
  },
});
