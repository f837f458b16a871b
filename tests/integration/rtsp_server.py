"""rtsp_server.py: a GStreamer RTSP test server (H.264 test pattern) for the live tests.

Usage: /usr/bin/python3 rtsp_server.py PORT [MOUNTS] [SIZE] [FPS] [SECONDS] [FILE.mp4]
Serves rtsp://127.0.0.1:PORT/cam0 .. /cam{MOUNTS-1}, each client its own encoder (or, with
FILE.mp4, its own reading of that H.264 MP4 at native speed: no encoding); prints "ready" once
listening and exits after SECONDS (a bound, so a leaked server never outlives its test).
In the environment: RTSP_GOP=N sets the GOP in frames (default FPS); RTSP_AUDIO=I,J:CODEC,..
lists the mounts that serve FILE.mp4's audio too: by default (CODEC aac) its AAC frames as they
are (RTP MPEG4-GENERIC, pt 97); for a FILE (a MOV) with G.711 mu-law audio, as IP cameras send,
pcmu: its mu-law samples as they are (RTP PCMU, pt 0), pcma: them as A-law (RTP PCMA, pt 8)."""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    port = int(sys.argv[1])
    mounts = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    width, height = (sys.argv[3] if len(sys.argv) > 3 else "320x240").split("x")
    fps = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 120
    # GOP (frames between keyframes) from the environment: long-GOP cameras in tests.
    gop = int(os.environ.get("RTSP_GOP", fps))
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    overlay = "timeoverlay ! " if Gst.ElementFactory.find("timeoverlay") else ""
    launch = (f"( videotestsrc is-live=true pattern=smpte ! video/x-raw,width={width},"
              f"height={height},framerate={fps}/1 ! {overlay}"
              f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! "
              "rtph264pay name=pay0 pt=96 config-interval=1 )")
    pay = {"aac": "aacparse ! rtpmp4gpay name=pay1 pt=97",
           "pcmu": "rtppcmupay name=pay1 pt=0",
           "pcma": "mulawdec ! alawenc ! rtppcmapay name=pay1 pt=8"}
    audio = dict((m + ":aac").split(":")[:2] for m in os.environ.get("RTSP_AUDIO", "").split(",")
                 if m)
    for i in range(mounts):
        if len(sys.argv) > 6:
            sound = f" d.audio_0 ! queue ! {pay[audio[str(i)]]}" if str(i) in audio else ""
            launch = (f"( filesrc location={sys.argv[6]} ! qtdemux name=d d.video_0 ! queue ! "
                      f"h264parse ! rtph264pay name=pay0 pt=96 config-interval=1{sound} )")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        server.get_mount_points().add_factory(f"/cam{i}", factory)
    if server.attach(None) == 0:
        print("attach failed", flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    GLib.timeout_add(int(seconds * 1000), loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
