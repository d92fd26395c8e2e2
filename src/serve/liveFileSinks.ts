import type { FaceRecord, FrameRecord } from '../pipeline/faceRecords.js';
import { selectFaces } from '../pipeline/selectFaces.js';
import { formatFaceCsv, formatFaceJsonl } from '../sinks/faceTable.js';
import { RotatingLineFile } from '../sinks/rotatingLineFile.js';
import type { SinkSpec } from './serveConfig.js';

/**
 * A stream's CSV/JSONL files: the rows file mode writes (one per face, role `track<id>`, or one no-face row),
 * appended frame by frame and rotated by size.
 */
export class LiveFileSink {
  private readonly file: RotatingLineFile;
  private readonly format: (frame: FrameRecord) => string[];

  constructor(
    readonly stream: string,
    spec: SinkSpec,
  ) {
    const table = (frame: FrameRecord) => [{ name: stream, frames: [frame], series: selectFaces([frame], 'all', 0) }];
    const options = { landmarks: spec.landmarks };
    if (spec.format === 'csv') {
      const header = formatFaceCsv([], options).trimEnd();
      this.format = (frame) => formatFaceCsv(table(frame), options).trimEnd().split('\n').slice(1);
      this.file = new RotatingLineFile(spec.path, spec.maxBytes, spec.keep, header);
    } else {
      this.format = (frame) => formatFaceJsonl(table(frame), options).trimEnd().split('\n');
      this.file = new RotatingLineFile(spec.path, spec.maxBytes, spec.keep);
    }
  }

  write(record: FrameRecord, faces: FaceRecord[]): void {
    this.file.write(this.format({ ...record, faces }));
  }

  close(): void {
    this.file.close();
  }
}
