/**
 * Canonical expression labels: neutral + the six basic expressions. Every member's own label order is
 * mapped onto this list before voting.
 */
export const CANONICAL_LABELS = ['neutral', 'anger', 'disgust', 'fear', 'happiness', 'sadness', 'surprise'] as const;
export type CanonicalLabel = (typeof CANONICAL_LABELS)[number];

/** The six classes of ABAW4 LSD, in its label order 0-5. */
export const LSD_LABELS: readonly CanonicalLabel[] = ['anger', 'disgust', 'fear', 'happiness', 'sadness', 'surprise'];

/** Where each LSD class sits in CANONICAL_LABELS. */
export const LSD_INDICES: readonly number[] = LSD_LABELS.map((c) => CANONICAL_LABELS.indexOf(c));

/** Index (into `candidates`) of the most probable label among `candidates`; the first on a tie. */
export function argmaxOver(probs: ArrayLike<number>, candidates: readonly number[], offset = 0): number {
  let best = 0;
  for (let i = 1; i < candidates.length; i++) if (probs[offset + candidates[i]] > probs[offset + candidates[best]]) best = i;
  return best;
}

/**
 * ABAW4 LSD label (0-5: anger, disgust, fear, happiness, sadness, surprise) of probabilities over
 * CANONICAL_LABELS (starting at `offset`): the best of the six, neutral left out.
 */
export const lsdIndex = (probs: ArrayLike<number>, offset = 0): number => argmaxOver(probs, LSD_INDICES, offset);

const SYNONYMS: Record<string, CanonicalLabel> = {
  neutral: 'neutral',
  neutrality: 'neutral',
  anger: 'anger',
  angry: 'anger',
  angrer: 'anger', // the ABAW4 LSD training folder is spelt ANGRER
  disgust: 'disgust',
  disgusted: 'disgust',
  fear: 'fear',
  fearful: 'fear',
  afraid: 'fear',
  scared: 'fear',
  happiness: 'happiness',
  happy: 'happiness',
  joy: 'happiness',
  sadness: 'sadness',
  sad: 'sadness',
  surprise: 'surprise',
  surprised: 'surprise',
};

/** Maps a label spelt any common way (case-insensitive: `ANGRER`, `angry`, `Happy`, `sad`) to its canonical name. */
export function canonicalLabel(name: string): CanonicalLabel | undefined {
  return SYNONYMS[name.trim().toLowerCase()];
}
