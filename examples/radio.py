#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A 24/7 station: a folder of songs, played gaplessly in a loop, drawn
live by nemovisualizer with each song's cover and name, encoded to
H.264/AAC and streamed to an RTMP server, reconnecting when it drops.

  GST_PLUGIN_PATH=build/plugin examples/radio.py MUSIC_DIR \\
      --url rtmp://127.0.0.1/live/station

Two pipelines, so that a lost server never stops the music:
  play:   uridecodebin (two at a time) -> concat -> tee
            -> audiomixer -> avenc_aac                   -> flvmux -> appsink
            -> nemovisualizer -> x264enc (zerolatency)  ->
  output: appsrc (bounded, leaky) -> rtmp2sink
The play pipeline runs at the clock's pace (the appsink syncs); its FLV
goes to the output while it is connected and is dropped while it is not.
A new connection starts at a keyframe, asked of x264enc, and its FLV tags
keep their timestamps: the viewers see the same stream go on.
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstVideo  # noqa: E402

SONG_EXTENSIONS = (".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav")
BACKOFF_S = (1, 2, 4, 8, 15, 30)
OUTPUT_QUEUE_BYTES = 8 * 1024 * 1024    # a few seconds at 3 Mb/s


def log(text):
    print(text, flush=True)


class Station:
    def __init__(self, args):
        self.args = args
        self.songs = sorted(os.path.join(args.folder, f)
                            for f in os.listdir(args.folder)
                            if f.lower().endswith(SONG_EXTENSIONS))
        if not self.songs:
            sys.exit(f"No songs in {args.folder} (looked for "
                     f"{', '.join(SONG_EXTENSIONS)}).")
        self.next_song = 0
        self.decoders = []           # (uridecodebin, concat pad), oldest first
        self.output = None
        self.connected = False
        self.need_keyframe = True
        self.failures = 0
        self.loop = GLib.MainLoop()
        self.play = self.make_play_pipeline()

    # ---- the play pipeline

    def make_play_pipeline(self):
        a = self.args
        width, height = a.size.split("x")
        desc = (
            "concat name=concat ! audioconvert ! audioresample ! "
            "audio/x-raw,rate=48000,channels=2 ! tee name=t "
            # audiomixer: one segment and a perfect clock of samples for
            # the encoder across the songs, as concat starts a segment
            # per song (it would eat the tags the visualizer needs)
            "t. ! queue max-size-time=2000000000 ! audiomixer ! "
            "avenc_aac bitrate=160000 ! aacparse ! mux. "
            "t. ! queue max-size-time=2000000000 ! audioconvert ! "
            f"nemovisualizer name=vis style={a.style} ! "
            f"video/x-raw,width={width},height={height},framerate={a.fps}/1 ! "
            "videoconvert ! queue max-size-time=2000000000 ! "
            "x264enc name=enc tune=zerolatency speed-preset=veryfast "
            f"bitrate={a.video_kbps} key-int-max={2 * a.fps} ! "
            "video/x-h264,profile=high ! h264parse ! mux. "
            "flvmux name=mux streamable=true ! "
            "appsink name=flv sync=true emit-signals=true max-buffers=64 drop=true")
        play = Gst.parse_launch(desc)
        vis = play.get_by_name("vis")
        if a.cover:
            vis.set_property("cover-uri", a.cover)
        if a.title:
            vis.set_property("title", a.title)
        play.get_by_name("flv").connect("new-sample", self.on_flv)
        self.concat = play.get_by_name("concat")
        self.concat.connect("notify::active-pad", self.on_active_pad)
        bus = play.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_play_message)
        return play

    def add_decoder(self):
        uri = Gst.filename_to_uri(self.songs[self.next_song])
        self.next_song = (self.next_song + 1) % len(self.songs)
        decoder = Gst.ElementFactory.make("uridecodebin")
        decoder.set_property("uri", uri)
        decoder.set_property("caps", Gst.Caps.from_string("audio/x-raw"))
        pad = self.concat.request_pad_simple("sink_%u")
        decoder.connect("pad-added", lambda _d, src: src.link(pad))
        self.play.add(decoder)
        decoder.sync_state_with_parent()
        self.decoders.append((decoder, pad))

    def on_active_pad(self, concat, _pspec):
        # the next song has begun: the one before is done, and the one
        # after it is readied, so that concat always has the next at hand
        GLib.idle_add(self.advance_playlist)

    def advance_playlist(self):
        active = self.concat.get_property("active-pad")
        while self.decoders and self.decoders[0][1] != active:
            decoder, pad = self.decoders.pop(0)
            decoder.set_state(Gst.State.NULL)
            self.play.remove(decoder)
            self.concat.release_request_pad(pad)
        while len(self.decoders) < 2:
            self.add_decoder()
        return GLib.SOURCE_REMOVE

    def on_play_message(self, _bus, msg):
        if msg.type == Gst.MessageType.ELEMENT and msg.has_name(
                "nemovisualizer-now-playing"):
            s = msg.get_structure()
            name = " — ".join(s.get_string(f) for f in ("title", "artist")
                              if s.has_field(f))
            log(f"now playing: {name or '(no name)'}")
        elif msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            log(f"error: {err.message}")
            self.loop.quit()

    # ---- the output: connect, lose, reconnect

    def connect(self):
        # the play pipeline keeps the pace; a reconnected output's clock
        # starts late, so its sink must not wait for the tags' times
        self.output = Gst.parse_launch(
            "appsrc name=src is-live=true format=time leaky-type=downstream "
            f"max-bytes={OUTPUT_QUEUE_BYTES} ! "
            f"rtmp2sink name=sink location={self.args.url} async=false "
            "sync=false")
        caps = self.play.get_by_name("flv").get_static_pad("sink") \
            .get_current_caps()
        if caps:
            self.output.get_by_name("src").set_property("caps", caps)
        bus = self.output.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_output_error)
        self.need_keyframe = True
        self.ask_keyframe()
        self.output.set_state(Gst.State.PLAYING)
        self.connected = True
        GLib.timeout_add_seconds(1, self.watch_connection, self.output)
        return GLib.SOURCE_REMOVE

    def watch_connection(self, output):
        """Says once that the server answers (the handshake is done): the
        connection is up, the back-off starts over."""
        if output is not self.output:
            return GLib.SOURCE_REMOVE       # lost meanwhile
        stats = output.get_by_name("sink").get_property("stats")
        if stats.get_uint64("in-bytes-total")[1] == 0:
            return GLib.SOURCE_CONTINUE
        log(f"streaming to {self.args.url}")
        self.failures = 0
        return GLib.SOURCE_REMOVE

    def on_output_error(self, _bus, msg):
        err, _ = msg.parse_error()
        self.connected = False
        self.close_output()
        wait = BACKOFF_S[min(self.failures, len(BACKOFF_S) - 1)]
        self.failures += 1
        log(f"lost {self.args.url} ({err.message}): trying again in {wait} s")
        GLib.timeout_add_seconds(wait, self.connect)

    def close_output(self):
        # the bus's watch holds the bus: a station reconnecting for weeks
        # would keep one of each lost connection
        self.output.get_bus().remove_signal_watch()
        self.output.set_state(Gst.State.NULL)
        self.output = None

    def ask_keyframe(self):
        enc = self.play.get_by_name("enc").get_static_pad("src")
        enc.send_event(GstVideo.video_event_new_upstream_force_key_unit(
            Gst.CLOCK_TIME_NONE, True, 0))

    def on_flv(self, appsink):
        sample = appsink.emit("pull-sample")
        buf = sample.get_buffer()
        if not self.connected:
            return Gst.FlowReturn.OK
        if self.need_keyframe:
            # an FLV tag of a keyframe (or audio, or a header) is not a
            # delta unit; start there
            if buf.has_flags(Gst.BufferFlags.DELTA_UNIT):
                return Gst.FlowReturn.OK
            self.need_keyframe = False
        src = self.output.get_by_name("src") if self.output else None
        if src is not None:
            src.emit("push-buffer", buf)
        return Gst.FlowReturn.OK

    # ---- running

    def run(self):
        self.add_decoder()
        self.add_decoder()
        self.play.set_state(Gst.State.PLAYING)
        self.connect()
        if self.args.stop_after:
            GLib.timeout_add_seconds(self.args.stop_after, self.loop.quit)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT,
                             self.loop.quit)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM,
                             self.loop.quit)
        self.loop.run()
        self.play.set_state(Gst.State.NULL)
        if self.output:
            self.close_output()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the songs, played in name order, "
                        "round and round")
    parser.add_argument("--url", required=True,
                        help="rtmp://host[:port]/app/stream")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--video-kbps", type=int, default=3000)
    parser.add_argument("--style", default="spectrum",
                        choices=("spectrum", "waveform", "circle", "none"))
    parser.add_argument("--cover", help="the station's picture, shown for "
                        "songs without their own")
    parser.add_argument("--title", help="the station's name, shown for songs "
                        "without a title")
    parser.add_argument("--stop-after", type=int, default=0,
                        help="stop after this many seconds (0: never)")
    args = parser.parse_args()
    if not args.url.startswith("rtmp://"):
        sys.exit("Only rtmp:// URLs are streamed to (SRT is not done yet).")
    Gst.init(None)
    Station(args).run()


if __name__ == "__main__":
    main()
