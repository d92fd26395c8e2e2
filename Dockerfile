# fer-stream's CLI in a container: Node 20, the npm install (offline apart from the npm registry; the
# built-in models are imported from the installed npm packages during the build), ffmpeg from the npm
# static binary. Used by deploy/k8s and usable under Slurm (e.g. with Apptainer).
#   docker build -t fer-stream:latest .
#   docker run --rm -v "$PWD:/data" fer-stream:latest --input /data/video.mp4 --out /data/preds.txt
FROM node:20-bookworm-slim
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /opt/fer-stream
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY config ./config
COPY models ./models
COPY schema ./schema
RUN npm ci --include=dev && npm prune --omit=dev && npm cache clean --force
USER node
ENTRYPOINT ["node", "/opt/fer-stream/bin/fer-stream.js"]
