import assert from 'node:assert/strict';
import { murmur3 } from '../../../lib/util/murmur3';

describe('murmur3', () => {
  // Reference vectors of MurmurHash3_x86_32 (Appleby's SMHasher), covering every tail length.
  const vectors: [string, number, number][] = [
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['a', 0, 0x3c2569b2],
    ['ab', 0, 0x9bbfd75f],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0, 0x43ed676a],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ];
  for (const [text, seed, expected] of vectors) {
    it(`murmur3(${JSON.stringify(text)}, ${seed}) is 0x${expected.toString(16)}`, () => {
      assert.equal(murmur3(text, seed), expected);
    });
  }

  it('murmur3(text) hashes the UTF-8 bytes, so non-ASCII keys are stable', () => {
    assert.equal(murmur3('é'), murmur3('\u00e9'));
    assert.notEqual(murmur3('é'), murmur3('e\u0301'));
  });
});
