import { WORKER_MB } from './videoSettings.js';

/** fer-stream --help: the one description of each flag of file mode (README links here). */
export const HELP = `fer-stream — facial expression labels from a bagged ensemble of multi-task networks

Usage:
  fer-stream --input <video | folder of videos> --out <file | folder> [options]   label every frame's faces
                          (a folder --out gets <folder>/<video>.txt; --out - writes standard output,
                          and a FIFO or device is written as a stream, never replaced)
  fer-stream --input <folder | release list> --out <file> [options]   score face crops (ABAW4 LSD)
  fer-stream eval --pred <file> --labels <class-folder tree | labels file> [--json]
  fer-stream eval --pred <folder | ABAW single file> --labels <ABAW annotation folder> [--json]
                          video predictions against per-video expression annotations
  fer-stream batch --input <folder | list | 'glob'>... --out-dir <dir> [--jobs n] [--shard i/N]
                          score a test set: parallel, resumable, sharded (fer-stream batch --help)
  fer-stream merge --out <file> <shard dirs>...   join shard outputs into ABAW's single file
  fer-stream train --data <set> --val <set>... --out <dir>   a bagged multi-task ensemble (fer-stream train --help)
  fer-stream serve --input <rtsp:// | http:// | /dev/videoN | file> | --config <yaml>   live daemon
                          (WebSocket, dashboard, metrics; fer-stream serve --help)
  fer-stream models                                                    import the built-in ONNX models now

Video options:
  --format abaw-expr|abaw-expr-single|csv|jsonl
                          default from --out: .csv -> csv, .jsonl -> jsonl, else abaw-expr (one
                          <video>.txt per face: header, then one label per frame, -1 = no face)
  --faces main|all|left-right   which faces to report (default main: the person largest over the video,
                          -1 where they are not seen; csv/jsonl default all)
  --smooth <frames>       centred moving average of each face's probabilities (default 1 = off)
  --fill none|interpolate frames without a face: -1 (default) or interpolated from the nearest faces
  --landmarks             csv/jsonl: add the 68 landmarks of each face
  --detect-every <n>      run the detector every n frames and follow faces by their landmarks in
                          between (default 10); 1 = detector on every frame
  --reid-within-shots     a scene cut starts new IDs; default (--reid-across-cuts): a person keeps
                          their ID across cuts (by appearance), so one ID is one person in the whole video
  --no-reid               no re-identification by appearance: a face lost for more than 30 frames
                          comes back with a new ID (see docs/tracking.md)
  --accept-short          a file that ends before the frames its container declares (cut short, still
                          being written) is scored as far as it goes, with a warning (default: an error)
  --detector tiny|blazeface   face detector (default tiny: face-api's Tiny Face Detector). blazeface
                          (human's BlazeFace) finds more turned, dim and close-up faces, faster, but
                          also finds faces in cartoons; see docs/detectors.md
  --detector-size <px>[,<px>]   tiny detector input sizes, multiples of 32 (default 608,320: the
                          first finds small faces, the second adds close-ups too large for it)

Face crop options:
  --format abaw-lsd|csv|jsonl   output format (default: from --out: .csv -> csv, .jsonl -> jsonl,
                          else abaw-lsd)
  --detect                run the face detector and score the largest face (default: inputs are crops)

Common options:
  --manifest <file>       ensemble manifest, JSON or YAML (default: config/default-ensemble.json); "accurate":
                          the bundled accurate ensemble (under half the speed: about 180 crops/s against 440-500,
                          82 video frames/s against 137-158; docs/ensemble.md)
  --device auto|cpu|cuda|tensorrt|webgpu   execution provider (default auto: CUDA if installed, then
                          WebGPU where a GPU is, else CPU; webgpu: any GPU with a Vulkan driver, docs/gpu.md)
  --batch <n>             faces per inference batch (default 32 for crops; video: frames per batch,
                          default 16, at most 256 MB of decoded frames; 128 faces per model call)
  --workers <n>           inference worker threads (default 2 for video, 1 for crops; at most one per
                          core: each holds its own copy of the models, about ${WORKER_MB} MB)
  --quiet                 no progress on stderr
  --verbose               on failure, print the stack trace too (also: DEBUG=fer-stream)

Examples:
  fer-stream --input video.mp4 --out preds.txt
  fer-stream --input test_videos/ --out predictions/ --faces left-right --smooth 15
  fer-stream --input video.mp4 --out faces.csv --landmarks
  fer-stream --input samples/crops --out preds.txt
  fer-stream --input test_set/release.txt --format abaw-lsd --out preds.txt
  fer-stream --input validation_set_real_images --format csv --out val.csv
  fer-stream eval --pred preds.txt --labels validation_set_real_images

Exit codes: 0 success, 1 failed (bad input, model, device or output location), 2 usage error
(including an --out that is one of the inputs).`;
