import type { Ensemble, FaceInput } from '../../src/models/ensemble.js';

/** Members that answer every face with the same flat probabilities: for tests where only the faces' places count. */
export function uniformEnsemble(): Ensemble {
  return {
    predict: async (faces: FaceInput[]) => faces.map(() => ({ probs: new Float64Array(7).fill(1 / 7), members: [] })),
  } as unknown as Ensemble;
}
