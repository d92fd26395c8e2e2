import { basename, join } from 'node:path';
import { CANONICAL_LABELS, LSD_LABELS } from '../models/labels.js';
import { listFaceCrops, type FaceCropItem } from '../pipeline/faceCropSource.js';
import { SHARED_DATA } from '../util/paths.js';
import { readTrainingSet } from './trainingSet.js';

/** A labelled dev face and who it is (folds never split one person: near-duplicate frames). */
export type DevFace = FaceCropItem & { label: (typeof LSD_LABELS)[number]; group: string };

export interface DevDomain {
  name: string;
  /** The domain's faces with one of the six LSD labels, read when asked for. */
  faces: () => DevFace[];
}

const lsdOnly = <T extends { label?: string }>(items: T[]) =>
  items.filter((it): it is T & { label: (typeof LSD_LABELS)[number] } => LSD_LABELS.includes(it.label as (typeof LSD_LABELS)[number]));

/**
 * The three kinds of face the shipped fusion weights are chosen and guarded on, none of which a head was
 * trained on: in the wild (people by name), posed lab faces (CK+, subjects by S<id>), and FER+ Valid (the crowd's
 * majority; no person ids, each face its own).
 */
export const DEV_DOMAINS: DevDomain[] = [
  {
    name: 'wild_expressions_dev',
    faces: () =>
      lsdOnly(listFaceCrops(join(SHARED_DATA, 'wild_expressions_dev'))).map((it) => ({
        ...it,
        group: basename(it.path).replace(/_\d+\.\w+$/, ''),
      })),
  },
  {
    name: 'posed_expressions_dev',
    faces: () =>
      lsdOnly(listFaceCrops(join(SHARED_DATA, 'posed_expressions_dev'))).map((it) => ({ ...it, group: basename(it.path).split('_')[0] })),
  },
  {
    name: 'FER+ Valid',
    faces: () =>
      lsdOnly(
        readTrainingSet(join(SHARED_DATA, 'ferplus', 'FER2013Valid'), 'hard').faces.map((f) => ({
          name: f.path,
          path: f.path,
          label: CANONICAL_LABELS[f.label],
          group: f.path,
        })),
      ),
  },
];
