#!/usr/bin/python3
"""A real RTSP camera for tests: GStreamer's RTSP server (gst-rtsp-server, Debian's python3-gi bindings)
serving an H.264 MP4 in a loop at rtsp://127.0.0.1:PORT/MOUNT. Killing this process and starting it again
on the same port is a camera that drops and comes back.

    /usr/bin/python3 rtspCamera.py <clip.mp4> <port> <mount>
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

clip, port, mount = sys.argv[1], sys.argv[2], sys.argv[3]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f"( multifilesrc location={clip} loop=true ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory(f"/{mount}", factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on 127.0.0.1:{port}")
print(f"rtsp://127.0.0.1:{port}/{mount}", flush=True)
GLib.MainLoop().run()
