import { expect } from 'chai';
describe('toolchain', () => {
  it('given tsx, when a test file is loaded, then TypeScript runs', () => {
    const n: number = 1 + 1;
    expect(n).to.equal(2);
  });
});
