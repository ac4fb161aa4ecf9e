#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Generate the test media into $1 with the ffmpeg CLI: short tones in every
# audio format we read, covers with a known centre colour in every image
# format, short clips in every container, and broken inputs.  Everything is
# small (<= 12 s) so the suite stays fast on two cores.
set -eu
out=${1:?usage: generate.sh OUTDIR}
mkdir -p "$out"
cd "$out"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# Audio: an 8.0 s tone (440 Hz left, 660 Hz right) in every format.
ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=8" \
   -f lavfi -i "sine=frequency=660:sample_rate=44100:duration=8" \
   -filter_complex "[0][1]amerge=inputs=2" -c:a pcm_s16le tone.wav
ff -i tone.wav -c:a libmp3lame -b:a 192k -metadata title="Test Tone" \
   -metadata artist="Nemo Lab" -metadata album="Signals" tone.mp3
ff -i tone.wav -c:a flac tone.flac
ff -i tone.wav -c:a aac -b:a 192k tone.m4a
ff -i tone.wav -c:a libopus -b:a 128k tone.opus
ff -i tone.wav -c:a libvorbis tone.ogg
# 8.0 s of a 440 Hz tone that gets louder every second (amplitude 0.1 in
# the first, 0.2 in the second...): where the sound of a video starts in
# the song shows in its loudness.
ff -f lavfi -i "aevalsrc=0.1*(1+floor(t))*sin(2*PI*440*t)|0.1*(1+floor(t))*sin(2*PI*440*t):s=48000:d=8" \
   -c:a pcm_s16le steps.wav
# 8.0 s of a full-scale 441 Hz square wave, a hot master at its worst: its
# samples are at 0 dBFS and the curve between them at +2 dBTP.
ff -f lavfi -i "aevalsrc=if(lt(mod(t*441\,1)\,0.5)\,1\,-1)|if(lt(mod(t*441\,1)\,0.5)\,1\,-1):s=48000:d=8" \
   -c:a pcm_f32le square.wav
# 3.0 s of digital silence.
ff -f lavfi -i "anullsrc=r=48000:cl=stereo" -t 3 -c:a pcm_s16le silent.wav
# A 5.0 s mono 22.05 kHz track: odd rates and layouts must be resampled.
ff -f lavfi -i "sine=frequency=300:sample_rate=22050:duration=5" -ac 1 mono22k.wav

# Covers: 800x800, a dark frame with a pure orange square in the middle so a
# test can find the cover's centre colour in the output (orange = 255,128,0).
ff -f lavfi -i "color=c=0x203040:s=800x800:d=1" \
   -vf "drawbox=x=200:y=200:w=400:h=400:color=0xFF8000:t=fill" -frames:v 1 cover.png
ff -i cover.png -q:v 2 cover.jpg
ff -i cover.png cover.gif
ff -i cover.png -c:v libwebp -lossless 1 cover.webp
# Songs that carry the cover as an embedded picture (MP3 APIC, FLAC
# PICTURE, M4A covr): FFmpeg shows it as an attached-picture stream.
for ext in mp3 flac m4a; do
  ff -i tone.$ext -i cover.jpg -map 0 -map 1 -c copy -disposition:v attached_pic \
     tone-cover.$ext
done
# A wide and a tall cover: the fill must cover the frame in both directions.
ff -f lavfi -i "color=c=0x00A0FF:s=1200x300:d=1" -frames:v 1 wide.png
ff -f lavfi -i "color=c=0x00A0FF:s=300x1200:d=1" -frames:v 1 tall.png

# A 10 s animated GIF at 10 fps, longer than the tone: through decodebin
# every frame is stamped 0 (and GStreamer 1.22's avdemux_gif sends no EOS).
ff -f lavfi -i "testsrc2=s=160x120:r=10:d=10" anim.gif
# A 2 s one, shorter than the tone: with no EOS from the demuxer the pad
# only ends by going silent.
ff -f lavfi -i "testsrc2=s=160x120:r=10:d=2" short.gif

# Clips: 3.0 s at 25 fps (shorter than the tone, so they loop).
ff -f lavfi -i "testsrc2=s=640x360:r=25:d=3" -c:v libx264 -pix_fmt yuv420p clip.mp4
ff -i clip.mp4 -c copy clip.mov
ff -i clip.mp4 -c copy clip.mkv
ff -f lavfi -i "testsrc2=s=640x360:r=25:d=3" -c:v libvpx -b:v 1M clip.webm
ff -f lavfi -i "testsrc2=s=640x360:r=25:d=3" -c:v mjpeg -q:v 3 clip.avi
# A clip with its own sound (for clips-with-audio paths).
ff -f lavfi -i "testsrc2=s=640x360:r=30:d=4" -f lavfi -i "sine=frequency=880:duration=4" \
   -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest clip-with-sound.mp4
# An 8.0 s travel clip of four scenes at 30 fps, cut at 2.3, 4.3 and
# 6.8 s (frames 69, 129 and 204), with its own quiet 1 kHz sound.
ff -f lavfi -i "testsrc2=s=640x360:r=30:d=2.3" -f lavfi -i "smptehdbars=s=640x360:r=30:d=2" \
   -f lavfi -i "testsrc=s=640x360:r=30:d=2.5" -f lavfi -i "rgbtestsrc=s=640x360:r=30:d=1.2" \
   -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=8" \
   -filter_complex "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v];[4:a]volume=0.1[a]" \
   -map "[v]" -map "[a]" -c:v libx264 -c:a aac scenes.mp4

# Lyrics for the tone: SubRip for subparse and the lyrics pad, enhanced LRC
# (word times) for lyrics-uri.
printf '1\n00:00:01,000 --> 00:00:02,000\nFirst <i>line</i>\n\n2\n00:00:02,500 --> 00:00:04,000\nSecond line\n' > lyrics.srt
printf '[ti:Test Tone]\n[00:01.00]<00:01.00>One <00:01.50>by <00:02.00>one<00:02.50>\n[00:03.00]<00:03.00>Then <00:03.50>more<00:04.00>\n' > lyrics.lrc

# An album of three short songs (docs/album.md), 3.2 + 2.5 + 3.5 s (songs
# that end off the half-second GOP grid): the first with a green cover
# embedded, as MP3 (whose stated length counts the encoder's delay and
# padding, 45 ms too long) and FLAC; then an AAC one with none (the shared
# visual shows then; its encoder padding must not make a gap); then a FLAC
# with a blue cover.  An .m3u of the MP3, AAC and last FLAC, with
# comments, and one naming a file that is not there.
ff -f lavfi -i "color=c=0x20C040:s=400x400:d=1" -frames:v 1 album-green.png
ff -f lavfi -i "color=c=0x2040FF:s=400x400:d=1" -frames:v 1 album-blue.png
ff -f lavfi -i "sine=frequency=330:sample_rate=48000:duration=3.2" -ac 2 \
   -metadata title="One" -metadata artist="Nemo Lab" -metadata album="Test Album" album-1.wav
ff -i album-1.wav -i album-green.png -map 0 -map 1 -c:a flac -c:v png \
   -disposition:v attached_pic album-1.flac
ff -i album-1.wav -i album-green.png -map 0 -map 1 -c:a libmp3lame -b:a 192k \
   -c:v png -disposition:v attached_pic -id3v2_version 3 album-1.mp3
ff -f lavfi -i "sine=frequency=550:sample_rate=44100:duration=2.5" -ac 2 -c:a aac \
   -b:a 192k -metadata title="Second Wind of the Long Night" -metadata artist="Nemo Lab" album-2.m4a
ff -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3.5" -ac 2 \
   -metadata title="Three" -metadata artist="Nemo Lab" album-3.wav
ff -i album-3.wav -i album-blue.png -map 0 -map 1 -c:a flac -c:v png \
   -disposition:v attached_pic album-3.flac
rm album-1.wav album-3.wav
printf '#EXTM3U\n#EXTINF:3,Nemo Lab - One\nalbum-1.mp3\n\nalbum-2.m4a\r\nalbum-3.flac\n' > album.m3u
printf 'album-1.mp3\nnowhere.flac\n' > album-missing.m3u
printf 'album-1.mp3\n#EXTINF:3,by mistake\ncover.png\n' > album-picture.m3u

# Broken inputs.
head -c 4096 /dev/urandom > garbage.mp3            # not media at all
head -c 20000 tone.m4a > truncated.m4a              # moov cut off
ff -f lavfi -i "testsrc2=s=320x240:r=25:d=1" -c:v libx264 no-audio.mp4   # video only
# Cut short, as an interrupted download leaves them: the song's first 30 %
# (its Xing header still says 8 s) and the first half of the cover.
head -c $(( $(wc -c < tone.mp3) * 3 / 10 )) tone.mp3 > cut.mp3
head -c $(( $(wc -c < cover.jpg) / 2 )) cover.jpg > cut.jpg
printf 'not an image' > fake.png
: > empty.wav
# An MP3 with headers but no audio frames.
ff -f lavfi -i "anullsrc=r=44100:cl=stereo" -t 0 -c:a libmp3lame no-samples.mp3 || : > no-samples.mp3
# A PNG whose header says 20000 x 20000: refused before any pixel is decoded.
python3 - <<'PY'
import struct, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
open("huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
PY
touch .stamp
