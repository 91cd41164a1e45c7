// vigil-framer: Vigil's video frame server.
//
// A long-lived child process that decodes videos with libavformat and libavcodec and writes their
// frames as RGB24 to standard output, for VigilMedia's `FramerDecoder`. It keeps the decoder out of
// the Vigil process (a crash or an exploit in a decoder takes only this process with it) while
// paying the libraries' start-up once for many videos, and it can leave undecoded the frames that
// no one will hash and no other frame needs (non-reference frames, when only every k-th frame is
// hashed).
//
// Protocol (one request at a time; every record is a one-byte tag, an 8-byte little-endian payload
// length, then the payload):
//
//   stdin:  "open DEMUXER HEXPATH\n"   -> 'I' record: one line per stream, ffprobe's compact
//                                          key=value|... form (index, codec_type, codec_name, width,
//                                          height, avg_frame_rate, r_frame_rate, nb_frames, duration)
//                                      or 'X' record: "open_failed\n" + the library's messages
//           "decode STEP MAXFRAMES SKIP [RING]\n" (after an 'I')
//                                      -> 'F' records: frame number (8 bytes LE), width, height
//                                          (4 bytes LE each), then width*height*3 bytes RGB24
//                                      -> 'E' record: "key=value|..." summary line, then the
//                                          library's error messages, one per line
//           "close\n" (after an 'I')   -> 'E' record with "decoded=0"
//
// Frame numbers follow vPDQ: the n-th frame the decoder outputs is frame n (from 0). With SKIP=1,
// STEP > 1 and an H.264 or HEVC stream whose packets all carry distinct timestamps, frame numbers
// are the frames' ranks in presentation order (read from a first pass over the packets), the
// decoder skips non-reference frames whose rank is not a multiple of STEP, and decoding stops once
// the last hashed frame is out (damage after it is not looked for). A file whose first pass drew a
// complaint from the demuxer is decoded in full, counting. If anything there does
// not add up (a frame's timestamp was not among the packets', ranks out of order, a hashed frame
// missing, the decoder reporting an error), the 'E' record says status=inconsistent and the caller
// decodes again with SKIP=0.
//
// Frames in shared memory (--ring SLOTBYTES): at start-up the framer makes a memory file (memfd)
// of 4 slots (--slots N: 1 to 64) of SLOTBYTES (rounded up to whole pages), sealed against
// shrinking, and says so in an 'M' record: its descriptor number, the slot count and the slot
// size (8 bytes LE each). The reader opens it through /proc/PID/fd/N. A "decode STEP MAXFRAMES
// SKIP 1" request then gets 'G' records instead of 'F' ones (when a frame fits a slot): frame
// number (8 bytes), width, height and slot (4 bytes each); the frame's RGB24 rows lie tightly
// packed at slot * slot size. The slot is the framer's again once the reader sends "free SLOT\n";
// with every slot taken the framer waits for one. "free" lines may come at any time, also after
// the request's 'E' record and during a later request: a reader may keep a slot while it hashes
// the frame in place, and the framer never writes a slot that was not given back.
//
// Options: --portable (av_force_cpu_flags(0): plain C code in the decoder and in libswscale, the
// same bytes on every CPU), --threads N (decoder threads, 0 to 1024; 0 = one per core, the
// default), --ring SLOTBYTES, --slots N. A value that is not a whole number in range is refused
// with the usage line and exit status 2.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/cpu.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

enum { LOG_TAIL = 8192, LINE_MAX_BYTES = 16384 };

// The library's error messages for the current request (the end of them, when there are many).
// Segment decoders log from threads of their own: the log is locked, and each thread also counts
// its own errors.
static struct {
    char text[LOG_TAIL];
    size_t length;
    int count;
} request_log;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int thread_errors;

static void log_reset(void) {
    request_log.length = 0;
    request_log.text[0] = 0;
    request_log.count = 0;
}

static void log_append(const char *line) {
    size_t n = strlen(line);
    if (n == 0) return;
    if (n >= LOG_TAIL) {
        line += n - (LOG_TAIL - 2);
        n = LOG_TAIL - 2;
    }
    if (request_log.length + n + 1 >= LOG_TAIL) {
        // Keep the newest lines: drop from the front.
        size_t drop = request_log.length + n + 2 - LOG_TAIL;
        memmove(request_log.text, request_log.text + drop, request_log.length - drop);
        request_log.length -= drop;
    }
    memcpy(request_log.text + request_log.length, line, n);
    request_log.length += n;
    if (request_log.text[request_log.length - 1] != '\n') request_log.text[request_log.length++] = '\n';
    request_log.text[request_log.length] = 0;
}

static void log_callback(void *avcl, int level, const char *format, va_list arguments) {
    if (level > AV_LOG_ERROR) return;
    char line[1024];
    int prefix = 1;
    av_log_format_line2(avcl, level, format, arguments, line, sizeof line, &prefix);
    thread_errors += 1;
    pthread_mutex_lock(&log_lock);
    request_log.count += 1;
    log_append(line);
    pthread_mutex_unlock(&log_lock);
}

static void log_printf(const char *format, ...) {
    char line[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    thread_errors += 1;
    pthread_mutex_lock(&log_lock);
    request_log.count += 1;
    log_append(line);
    pthread_mutex_unlock(&log_lock);
}

// --- Output records ---

static void write_all(const void *bytes, size_t count) {
    const uint8_t *p = bytes;
    while (count > 0) {
        ssize_t n = write(STDOUT_FILENO, p, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(0);  // the reader is gone: nothing left to do
        }
        p += n;
        count -= (size_t)n;
    }
}

static void put_u64(uint8_t *to, uint64_t value) {
    for (int i = 0; i < 8; i++) to[i] = (uint8_t)(value >> (8 * i));
}

static void put_u32(uint8_t *to, uint32_t value) {
    for (int i = 0; i < 4; i++) to[i] = (uint8_t)(value >> (8 * i));
}

static void write_header(char tag, uint64_t length) {
    uint8_t header[9];
    header[0] = (uint8_t)tag;
    put_u64(header + 1, length);
    write_all(header, sizeof header);
}

static void write_text_record(char tag, const char *first, const char *second) {
    size_t a = strlen(first), b = second ? strlen(second) : 0;
    write_header(tag, a + b);
    write_all(first, a);
    if (b) write_all(second, b);
}

// --- Requests ---

// Standard input, read in blocks: "free" lines come once per frame.
static struct {
    char bytes[4096];
    size_t start, end;
} input;

// The next line without its newline: 1, or 0 at the end of the input, or -1 for a line too long.
static int read_line(char *line, size_t capacity) {
    size_t n = 0;
    for (;;) {
        if (input.start == input.end) {
            ssize_t got = read(STDIN_FILENO, input.bytes, sizeof input.bytes);
            if (got == 0) return 0;
            if (got < 0) {
                if (errno == EINTR) continue;
                return 0;
            }
            input.start = 0;
            input.end = (size_t)got;
        }
        char c = input.bytes[input.start++];
        if (c == '\n') break;
        if (n + 1 >= capacity) return -1;
        line[n++] = c;
    }
    line[n] = 0;
    return 1;
}

// --- Frames in shared memory ---

enum { RING_MAX_SLOTS = 64 };

static struct {
    int fd;             // the memory file, -1 without --ring
    int on;             // the current request's frames go through it
    int slots;          // how many (4 unless --slots)
    uint64_t slot_bytes;
    uint8_t *base;      // the framer's mapping of the whole file
    int busy[RING_MAX_SLOTS];
} ring = {-1, 0, 4, 0, NULL, {0}};

// Takes a "free SLOT" line; 0 when the line is something else.
static int ring_take_free(const char *line) {
    int slot;
    char extra;
    if (sscanf(line, "free %d%c", &slot, &extra) != 1) return 0;
    if (slot >= 0 && slot < ring.slots) ring.busy[slot] = 0;
    return 1;
}

// The next request line, after any "free" lines.
static int read_request(char *line, size_t capacity) {
    for (;;) {
        int got = read_line(line, capacity);
        if (got != 1 || !ring_take_free(line)) return got;
    }
}

// Makes the memory file: `ring.slots` slots of `slot_bytes`, sealed against shrinking (so the reader's
// mapping can never lose its pages), and says so in an 'M' record. Pages are only used once written.
static void ring_create(uint64_t slot_bytes) {
#ifdef __linux__
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    slot_bytes = (slot_bytes + page - 1) / page * page;
    if (slot_bytes == 0 || slot_bytes > ((uint64_t)1 << 40) / (uint64_t)ring.slots) return;
    size_t size = (size_t)(slot_bytes * (uint64_t)ring.slots);
    int fd = memfd_create("vigil-framer-frames", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return;
    void *base = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) == 0) {
        base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    if (base == MAP_FAILED) {
        close(fd);
        return;
    }
    ring.fd = fd;
    ring.base = base;
    ring.slot_bytes = slot_bytes;
    uint8_t payload[24];
    put_u64(payload, (uint64_t)fd);
    put_u64(payload + 8, (uint64_t)ring.slots);
    put_u64(payload + 16, slot_bytes);
    write_header('M', sizeof payload);
    write_all(payload, sizeof payload);
#else
    (void)slot_bytes;
#endif
}

// A free slot, now taken, waiting for the reader to give one back.
static int ring_acquire(void) {
    static char line[256];
    for (;;) {
        for (int i = 0; i < ring.slots; i++) {
            if (!ring.busy[i]) {
                ring.busy[i] = 1;
                return i;
            }
        }
        int got = read_line(line, sizeof line);
        if (got == 0) _exit(0);  // the reader is gone
        if (got < 0 || !ring_take_free(line)) {
            write_text_record('X', "bad_request\n", "only free lines may come while frames are out\n");
            _exit(2);
        }
    }
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes HEX into out (NUL-terminated); 0 when it is not an even-length hex string without NULs.
static int unhex(const char *hex, char *out, size_t capacity) {
    size_t n = strlen(hex);
    if (n % 2 || n / 2 + 1 > capacity) return 0;
    for (size_t i = 0; i < n / 2; i++) {
        int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0 || (high == 0 && low == 0)) return 0;
        out[i] = (char)(high * 16 + low);
    }
    out[n / 2] = 0;
    return 1;
}

// --- The open video ---

typedef struct {
    char path[LINE_MAX_BYTES];
    const AVInputFormat *format;
    AVFormatContext *input;
    int stream;  // the first video stream, or -1
} Video;

// Opens the file with the demuxer chosen. With `probe`, libavformat also reads (and decodes) the
// start of the streams to fill in what the header leaves out (avformat_find_stream_info, 7-11 ms
// on a short HD file): done once per request; the first pass and the segment decoders read
// packets only, with the codec parameters of that first open.
static int open_input(Video *video, int probe) {
    AVDictionary *options = NULL;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    char url[LINE_MAX_BYTES + 8];
    snprintf(url, sizeof url, "file:%s", video->path);
    video->input = NULL;
    int error = avformat_open_input(&video->input, url, video->format, &options);
    av_dict_free(&options);
    if (error < 0) {
        char message[256];
        av_strerror(error, message, sizeof message);
        log_printf("%s: %s", url, message);
        return error;
    }
    error = probe ? avformat_find_stream_info(video->input, NULL) : 0;
    if (error < 0) {
        char message[256];
        av_strerror(error, message, sizeof message);
        log_printf("%s: could not find stream information: %s", url, message);
        avformat_close_input(&video->input);
        return error;
    }
    video->stream = -1;
    for (unsigned i = 0; i < video->input->nb_streams; i++) {
        if (video->input->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            video->stream = (int)i;
            break;
        }
    }
    return 0;
}

static const char *media_type_name(enum AVMediaType type) {
    const char *name = av_get_media_type_string(type);
    return name ? name : "unknown";
}

static void write_info(const Video *video) {
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) _exit(3);
    for (unsigned i = 0; i < video->input->nb_streams; i++) {
        const AVStream *stream = video->input->streams[i];
        const AVCodecParameters *parameters = stream->codecpar;
        const char *codec = avcodec_get_name(parameters->codec_id);
        fprintf(out, "index=%u|codec_type=%s|codec_name=%s", i, media_type_name(parameters->codec_type), codec ? codec : "unknown");
        if (parameters->codec_type == AVMEDIA_TYPE_VIDEO) {
            fprintf(out, "|width=%d|height=%d|avg_frame_rate=%d/%d|r_frame_rate=%d/%d", parameters->width, parameters->height,
                    stream->avg_frame_rate.num, stream->avg_frame_rate.den, stream->r_frame_rate.num, stream->r_frame_rate.den);
            if (stream->nb_frames > 0) fprintf(out, "|nb_frames=%lld", (long long)stream->nb_frames);
            if (stream->duration != AV_NOPTS_VALUE && stream->time_base.den > 0) {
                fprintf(out, "|duration=%.6f", (double)stream->duration * av_q2d(stream->time_base));
            }
        }
        fputc('\n', out);
    }
    fclose(out);
    write_header('I', length);
    write_all(text, length);
    free(text);
}

// --- Decoding ---

typedef struct {
    int64_t *sorted;  // the video packets' timestamps, ascending
    int64_t *pts;     // the same, in decoding order
    int64_t *dts;     // their decoding timestamps
    uint8_t *key;     // whether each starts a keyframe
    size_t count;
} Ranks;

static void ranks_free(Ranks *ranks) {
    free(ranks->sorted);
    free(ranks->pts);
    free(ranks->dts);
    free(ranks->key);
}

static int compare_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

// The rank of `pts` among the packets' timestamps, or -1 when it is not one of them.
static int64_t rank_of(const Ranks *ranks, int64_t pts) {
    size_t low = 0, high = ranks->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (ranks->sorted[middle] < pts) low = middle + 1;
        else high = middle;
    }
    return (low < ranks->count && ranks->sorted[low] == pts) ? (int64_t)low : -1;
}

// First pass for skipping: every video packet's timestamps and keyframe flag, in decoding order,
// and the timestamps sorted. 0 when skipping cannot be trusted here.
static int collect_ranks(Video *video, Ranks *ranks, int64_t max_frames) {
    size_t capacity = 1024;
    ranks->pts = malloc(capacity * sizeof(int64_t));
    ranks->dts = malloc(capacity * sizeof(int64_t));
    ranks->key = malloc(capacity);
    ranks->count = 0;
    if (!ranks->pts || !ranks->dts || !ranks->key) return 0;
    AVPacket *packet = av_packet_alloc();
    if (!packet) return 0;
    int usable = 1;
    while (usable && av_read_frame(video->input, packet) >= 0) {
        if (packet->stream_index == video->stream) {
            if (packet->pts == AV_NOPTS_VALUE || (int64_t)ranks->count >= max_frames) usable = 0;
            else {
                if (ranks->count == capacity) {
                    capacity *= 2;
                    int64_t *pts = realloc(ranks->pts, capacity * sizeof(int64_t));
                    if (pts) ranks->pts = pts;
                    int64_t *dts = realloc(ranks->dts, capacity * sizeof(int64_t));
                    if (dts) ranks->dts = dts;
                    uint8_t *key = realloc(ranks->key, capacity);
                    if (key) ranks->key = key;
                    if (!pts || !dts || !key) usable = 0;
                }
                if (usable) {
                    ranks->pts[ranks->count] = packet->pts;
                    ranks->dts[ranks->count] = packet->dts;
                    ranks->key[ranks->count] = (packet->flags & AV_PKT_FLAG_KEY) != 0;
                    ranks->count += 1;
                }
            }
        }
        av_packet_unref(packet);
    }
    av_packet_free(&packet);
    if (!usable || ranks->count == 0) return 0;
    ranks->sorted = malloc(ranks->count * sizeof(int64_t));
    if (!ranks->sorted) return 0;
    memcpy(ranks->sorted, ranks->pts, ranks->count * sizeof(int64_t));
    qsort(ranks->sorted, ranks->count, sizeof(int64_t), compare_i64);
    for (size_t i = 1; i < ranks->count; i++) {
        if (ranks->sorted[i] == ranks->sorted[i - 1]) return 0;
    }
    return 1;
}

typedef struct {
    int width, height;  // the declared size every frame is delivered at
    struct SwsContext *scaler;
    uint8_t *rgb;  // aligned RGB24 picture
    int rgb_linesize;
    uint8_t *record;  // one frame record's payload
    size_t record_bytes;
} Converter;

static int converter_init(Converter *converter, int width, int height) {
    memset(converter, 0, sizeof *converter);
    converter->width = width;
    converter->height = height;
    uint8_t *planes[4];
    int linesizes[4];
    if (av_image_alloc(planes, linesizes, width, height, AV_PIX_FMT_RGB24, 64) < 0) return 0;
    converter->rgb = planes[0];
    converter->rgb_linesize = linesizes[0];
    converter->record_bytes = 16 + (size_t)width * (size_t)height * 3;
    converter->record = malloc(converter->record_bytes);
    return converter->record != NULL;
}

static void converter_free(Converter *converter) {
    sws_freeContext(converter->scaler);
    if (converter->rgb) av_freep(&converter->rgb);
    free(converter->record);
}

// Converts `frame` to RGB24 at the declared size (scaling back a frame whose size changed, as
// vPDQ's fixed scaler does) into `picture`, rows `converter->rgb_linesize` apart: the converter's
// own picture, or a ring slot laid out exactly as it is.
static int scale_frame(Converter *converter, const AVFrame *frame, uint8_t *picture) {
    converter->scaler = sws_getCachedContext(converter->scaler, frame->width, frame->height, frame->format, converter->width,
                                             converter->height, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
    if (!converter->scaler) {
        log_printf("vigil-framer: no conversion from %s %dx%d to rgb24", av_get_pix_fmt_name(frame->format), frame->width,
                   frame->height);
        return 0;
    }
    uint8_t *planes[4] = {picture, NULL, NULL, NULL};
    int linesizes[4] = {converter->rgb_linesize, 0, 0, 0};
    sws_scale(converter->scaler, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height, planes, linesizes);
    return 1;
}

// The converter's picture, its rows tightly packed, at `to`.
static void pack_rows(const Converter *converter, uint8_t *to) {
    size_t row = (size_t)converter->width * 3;
    for (int y = 0; y < converter->height; y++) {
        memcpy(to + (size_t)y * row, converter->rgb + (size_t)y * (size_t)converter->rgb_linesize, row);
    }
}

static void put_frame_header(uint8_t *to, int64_t number, int width, int height) {
    put_u64(to, (uint64_t)number);
    put_u32(to + 8, (uint32_t)width);
    put_u32(to + 12, (uint32_t)height);
}

// Converts `frame` into the converter's record as frame `number`.
static int convert_frame(Converter *converter, const AVFrame *frame, int64_t number) {
    if (!scale_frame(converter, frame, converter->rgb)) return 0;
    put_frame_header(converter->record, number, converter->width, converter->height);
    pack_rows(converter, converter->record + 16);
    return 1;
}

// Says that the frame whose 16-byte header is `header` lies in `slot`: a 'G' record.
static void write_shared_frame(const uint8_t *header, int slot) {
    uint8_t record[20];
    memcpy(record, header, 16);
    put_u32(record + 16, (uint32_t)slot);
    write_header('G', sizeof record);
    write_all(record, sizeof record);
}

// Writes a frame record kept in memory (number, width, height, then the rows): through the ring
// as a 'G' record, or as an 'F' record.
static void emit_record(const uint8_t *record, size_t bytes) {
    if (!ring.on) {
        write_header('F', bytes);
        write_all(record, bytes);
        return;
    }
    int slot = ring_acquire();
    memcpy(ring.base + (size_t)slot * ring.slot_bytes, record + 16, bytes - 16);
    write_shared_frame(record, slot);
}

// Converts `frame` and writes it as frame `number` (into a ring slot directly, when the ring is on).
static int send_frame(Converter *converter, const AVFrame *frame, int64_t number) {
    if (!ring.on) {
        if (!convert_frame(converter, frame, number)) return 0;
        emit_record(converter->record, converter->record_bytes);
        return 1;
    }
    // Where the picture's rows need no padding (width * 3 a multiple of 64, as at 640, 1280 or
    // 1920 pixels) a slot, page-aligned, has the very layout of the converter's picture: the
    // conversion writes into it directly, and the same code writes the same bytes.
    int slot = ring_acquire();
    uint8_t *target = ring.base + (size_t)slot * ring.slot_bytes;
    int direct = (size_t)converter->rgb_linesize == (size_t)converter->width * 3;
    if (!scale_frame(converter, frame, direct ? target : converter->rgb)) {
        ring.busy[slot] = 0;
        return 0;
    }
    if (!direct) pack_rows(converter, target);
    uint8_t header[16];
    put_frame_header(header, number, converter->width, converter->height);
    write_shared_frame(header, slot);
    return 1;
}

// A decoder for `parameters` with `threads` threads (0: one per core; frame and slice threads), or
// NULL, the reason logged, when there is none or it cannot be opened.
static AVCodecContext *open_decoder(const AVCodecParameters *parameters, int threads) {
    const AVCodec *codec = avcodec_find_decoder(parameters->codec_id);
    if (!codec) {
        log_printf("vigil-framer: no decoder for codec %s", avcodec_get_name(parameters->codec_id));
        return NULL;
    }
    AVCodecContext *decoder = avcodec_alloc_context3(codec);
    if (decoder && avcodec_parameters_to_context(decoder, parameters) >= 0) {
        decoder->thread_count = threads;
        decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        if (avcodec_open2(decoder, codec, NULL) >= 0) return decoder;
    }
    log_printf("vigil-framer: the %s decoder could not be opened", codec->name);
    avcodec_free_context(&decoder);
    return NULL;
}

typedef struct {
    int64_t step, max_frames;
    const Ranks *ranks;  // NULL: frames are numbered by counting
    int64_t decoded;     // frames the decoder output
    int64_t sent;
    int64_t last_rank;
    int inconsistent, too_many, failed;
} DecodeState;

// Takes every frame the decoder has ready. While draining (after the last packet), an error is
// one damaged frame among those still in the decoder's threads: the rest are still taken.
static void receive_frames(AVCodecContext *decoder, AVFrame *frame, Converter *converter, DecodeState *state, int draining) {
    int errors = 0;
    while (!state->failed && !state->too_many) {
        int error = avcodec_receive_frame(decoder, frame);
        if (error == AVERROR(EAGAIN) || error == AVERROR_EOF) return;
        if (error < 0) {
            // Damage in one packet (with frame threads, a packet's error comes out here): say so
            // and go on with the next packet, as ffmpeg's command-line tool does.
            char message[256];
            av_strerror(error, message, sizeof message);
            log_printf("vigil-framer: error while decoding: %s", message);
            if (!draining || ++errors > 64) return;
            continue;
        }
        int64_t number = state->decoded;
        state->decoded += 1;
        if (state->ranks) {
            int64_t pts = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
            int64_t rank = rank_of(state->ranks, pts);
            if (rank < 0 || rank <= state->last_rank) {
                state->inconsistent = 1;
                av_frame_unref(frame);
                return;
            }
            state->last_rank = rank;
            number = rank;
        }
        if (number >= state->max_frames) {
            state->too_many = 1;
        } else if (number % state->step == 0) {
            if (!send_frame(converter, frame, number)) state->failed = 1;
            else state->sent += 1;
        }
        av_frame_unref(frame);
    }
}

// --- The segments between keyframes, decoded at once ---
//
// When frames are ranked and the keyframes cut the video into closed segments (each holds exactly
// the frames of one run of ranks, after all of the segment before), each segment can be decoded on
// its own, from its keyframe, by a decoder of its own: one thread per core takes the next segment
// that holds a hashed frame. Its hashed frames are kept until the segments before it are written,
// so frames still leave in order; at most `window` segments are decoded ahead.

enum { SEGMENT_WAITING = 0, SEGMENT_TAKEN = 1, SEGMENT_DONE = 2 };

typedef struct {
    size_t first, end;   // its packets, [first, end) in decoding order
    int64_t low, high;   // the ranks of its frames: exactly low...high
    int64_t hashed;      // the multiples of the step among them
    uint8_t **records;   // the hashed frames' record payloads, in rank order
    int64_t sent, decoded;
    int state, inconsistent;
} Segment;

typedef struct {
    const Video *video;
    const Ranks *ranks;
    int64_t step;
    int width, height;
    Segment *segments;
    size_t count, next, emitted, window;
    int abort;
    pthread_mutex_t lock;
    pthread_cond_t changed;
} Plan;

static void plan_free(Plan *plan) {
    for (size_t i = 0; plan->segments && i < plan->count; i++) {
        Segment *segment = &plan->segments[i];
        for (int64_t r = 0; segment->records && r < segment->sent; r++) free(segment->records[r]);
        free(segment->records);
    }
    free(plan->segments);
    plan->segments = NULL;
}

// Cuts the ranked packets at their keyframes; 0 when the segments are not closed, when fewer than
// two hold a hashed frame, or when the frames kept could take too much memory.
static int plan_segments(Plan *plan, const Video *video, const Ranks *ranks, int64_t step, int width, int height,
                         size_t workers) {
    memset(plan, 0, sizeof *plan);
    if (workers < 2 || ranks->count < 2 || !ranks->key[0]) return 0;
    size_t count = 0;
    for (size_t i = 0; i < ranks->count; i++) count += ranks->key[i];
    plan->segments = calloc(count, sizeof(Segment));
    if (!plan->segments) return 0;
    plan->count = count;
    size_t k = 0, busy = 0;
    int64_t most_hashed = 0;
    for (size_t i = 0; i < ranks->count; i++) {
        if (ranks->key[i] && i > 0) k += 1;
        Segment *segment = &plan->segments[k];
        int64_t rank = rank_of(ranks, ranks->pts[i]);
        if (segment->end == 0) {
            segment->first = i;
            segment->low = segment->high = rank;
        }
        segment->end = i + 1;
        if (rank < segment->low) segment->low = rank;
        if (rank > segment->high) segment->high = rank;
    }
    for (k = 0; k < count; k++) {
        Segment *segment = &plan->segments[k];
        // Closed: its ranks are one run, they follow the segment before's, and its keyframe is shown
        // first (in an open GOP, frames after the keyframe are shown before it, and need the
        // segment before to be decoded).
        if ((size_t)(segment->high - segment->low + 1) != segment->end - segment->first) return 0;
        if (rank_of(ranks, ranks->pts[segment->first]) != segment->low) return 0;
        if (k > 0 && plan->segments[k - 1].high + 1 != segment->low) return 0;
        segment->hashed = segment->high / step - (segment->low + step - 1) / step + 1;
        if (segment->hashed < 0) segment->hashed = 0;
        if (segment->hashed == 0) segment->state = SEGMENT_DONE;
        else busy += 1;
        if (segment->hashed > most_hashed) most_hashed = segment->hashed;
    }
    plan->window = workers + 1;
    size_t frame_bytes = 16 + (size_t)width * (size_t)height * 3;
    if (busy < 2 || (double)most_hashed * (double)frame_bytes * (double)plan->window > 512.0 * 1024 * 1024) return 0;
    plan->video = video;
    plan->ranks = ranks;
    plan->step = step;
    plan->width = width;
    plan->height = height;
    return 1;
}

static void receive_segment_frames(AVCodecContext *decoder, AVFrame *frame, Converter *converter, const Plan *plan,
                                   Segment *segment, int64_t *last, int draining) {
    int errors = 0;
    while (!segment->inconsistent) {
        int error = avcodec_receive_frame(decoder, frame);
        if (error == AVERROR(EAGAIN) || error == AVERROR_EOF) return;
        if (error < 0) {
            segment->inconsistent = 1;  // damage: the caller decodes again, counting
            if (!draining || ++errors > 64) return;
            continue;
        }
        segment->decoded += 1;
        int64_t pts = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
        int64_t rank = rank_of(plan->ranks, pts);
        if (rank < segment->low || rank > segment->high || rank <= *last) {
            segment->inconsistent = 1;
        } else if (rank % plan->step == 0) {
            *last = rank;
            if (segment->sent >= segment->hashed || !convert_frame(converter, frame, rank)) {
                segment->inconsistent = 1;
            } else {
                // The converter's buffer goes to the segment; the converter takes a new one.
                segment->records[segment->sent++] = converter->record;
                converter->record = malloc(converter->record_bytes);
                if (!converter->record) segment->inconsistent = 1;
            }
        } else {
            *last = rank;
        }
        av_frame_unref(frame);
    }
}

static void decode_segment(Plan *plan, Segment *segment) {
    thread_errors = 0;
    const Ranks *ranks = plan->ranks;
    Video video;
    video.input = NULL;
    memcpy(video.path, plan->video->path, sizeof video.path);
    video.format = plan->video->format;
    segment->records = calloc((size_t)segment->hashed, sizeof(uint8_t *));
    if (!segment->records || open_input(&video, 0) < 0 || video.stream != plan->video->stream) {
        if (video.input) avformat_close_input(&video.input);
        segment->inconsistent = 1;
        return;
    }
    AVCodecContext *decoder = open_decoder(plan->video->input->streams[plan->video->stream]->codecpar, 1);
    Converter converter;
    memset(&converter, 0, sizeof converter);
    AVPacket *packet = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int ready = decoder && packet && frame && converter_init(&converter, plan->width, plan->height);
    if (ready && segment->first > 0) {
        // To the segment's keyframe; the packets are then checked one by one against the first pass.
        av_seek_frame(video.input, video.stream, ranks->dts[segment->first], AVSEEK_FLAG_BACKWARD);
    }
    size_t index = segment->first;
    int64_t last = -1;
    int found = segment->first == 0;
    // Once its last hashed frame is out, no later packet of the segment is needed.
    while (ready && index < segment->end && segment->sent < segment->hashed && !segment->inconsistent &&
           av_read_frame(video.input, packet) >= 0) {
        if (packet->stream_index == video.stream && !found) found = packet->pts == ranks->pts[segment->first];
        if (packet->stream_index == video.stream && found) {
            if (packet->pts != ranks->pts[index]) {
                segment->inconsistent = 1;
            } else {
                int64_t rank = rank_of(ranks, packet->pts);
                decoder->skip_frame = rank % plan->step != 0 ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
                avcodec_send_packet(decoder, packet);
                receive_segment_frames(decoder, frame, &converter, plan, segment, &last, 0);
                index += 1;
            }
        }
        av_packet_unref(packet);
    }
    if (ready && !segment->inconsistent && segment->sent < segment->hashed) {
        avcodec_send_packet(decoder, NULL);
        receive_segment_frames(decoder, frame, &converter, plan, segment, &last, 1);
    }
    if (!ready || segment->sent != segment->hashed || thread_errors != 0) segment->inconsistent = 1;
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&decoder);
    converter_free(&converter);
    avformat_close_input(&video.input);
}

static void *segment_worker(void *argument) {
    Plan *plan = argument;
    pthread_mutex_lock(&plan->lock);
    while (!plan->abort && plan->next < plan->count) {
        size_t k = plan->next;
        if (plan->segments[k].state == SEGMENT_DONE) {
            plan->next += 1;
            continue;
        }
        if (k >= plan->emitted + plan->window) {
            pthread_cond_wait(&plan->changed, &plan->lock);
            continue;
        }
        plan->next += 1;
        plan->segments[k].state = SEGMENT_TAKEN;
        pthread_mutex_unlock(&plan->lock);
        decode_segment(plan, &plan->segments[k]);
        pthread_mutex_lock(&plan->lock);
        plan->segments[k].state = SEGMENT_DONE;
        pthread_cond_broadcast(&plan->changed);
    }
    pthread_mutex_unlock(&plan->lock);
    return NULL;
}

// Decodes the plan's segments on `workers` threads and writes their frames in order, then the end
// record (status=inconsistent when a segment did not add up, or no thread could be started).
static void run_segments(Plan *plan, size_t workers) {
    pthread_mutex_init(&plan->lock, NULL);
    pthread_cond_init(&plan->changed, NULL);
    pthread_t threads[64];
    if (workers > 64) workers = 64;
    size_t started = 0;
    for (; started < workers; started++) {
        if (pthread_create(&threads[started], NULL, segment_worker, plan) != 0) break;
    }
    int inconsistent = started == 0;
    int64_t sent = 0, decoded = 0;
    for (size_t k = 0; k < plan->count && !inconsistent; k++) {
        Segment *segment = &plan->segments[k];
        pthread_mutex_lock(&plan->lock);
        while (segment->state != SEGMENT_DONE) pthread_cond_wait(&plan->changed, &plan->lock);
        pthread_mutex_unlock(&plan->lock);
        if (segment->inconsistent) {
            inconsistent = 1;
            break;
        }
        size_t record_bytes = 16 + (size_t)plan->width * (size_t)plan->height * 3;
        for (int64_t r = 0; r < segment->sent; r++) {
            emit_record(segment->records[r], record_bytes);
            free(segment->records[r]);
        }
        sent += segment->sent;
        decoded += segment->decoded;
        segment->sent = 0;
        pthread_mutex_lock(&plan->lock);
        plan->emitted = k + 1;
        pthread_cond_broadcast(&plan->changed);
        pthread_mutex_unlock(&plan->lock);
    }
    pthread_mutex_lock(&plan->lock);
    plan->abort = 1;
    pthread_cond_broadcast(&plan->changed);
    pthread_mutex_unlock(&plan->lock);
    for (size_t i = 0; i < started; i++) pthread_join(threads[i], NULL);
    char summary[256];
    snprintf(summary, sizeof summary, "status=%s|decoded=%lld|sent=%lld|ranked=1|segments=%zu\n", inconsistent ? "inconsistent" : "ok",
             (long long)decoded, (long long)sent, plan->count);
    write_text_record('E', summary, request_log.text);
    pthread_cond_destroy(&plan->changed);
    pthread_mutex_destroy(&plan->lock);
}

static void decode(Video *video, int64_t step, int64_t max_frames, int skip, int threads, int shared) {
    AVStream *stream = video->input->streams[video->stream];
    const AVCodecParameters *parameters = stream->codecpar;
    Ranks ranks = {NULL, NULL, NULL, NULL, 0};
    int ranked = 0;
    if (skip && step > 1 && (parameters->codec_id == AV_CODEC_ID_H264 || parameters->codec_id == AV_CODEC_ID_HEVC)) {
        // The first pass reads the packets through a second, unprobed opening of the file; the
        // probed one stays at its start for decoding.
        Video scan;
        memcpy(scan.path, video->path, sizeof scan.path);
        scan.format = video->format;
        int errors_before_ranking = request_log.count;
        if (open_input(&scan, 0) >= 0) {
            ranked = scan.stream == video->stream && collect_ranks(&scan, &ranks, max_frames);
            avformat_close_input(&scan.input);
        }
        // A file the demuxer complained about (cut short, damaged) is decoded in full, counting.
        if (request_log.count != errors_before_ranking) ranked = 0;
    }
    // Frames are delivered at the stream's declared size: through the ring when one fits a slot.
    // Slots the reader still holds from an earlier request stay taken until it gives them back.
    ring.on = shared && ring.fd >= 0 && (uint64_t)parameters->width * (uint64_t)parameters->height * 3 <= ring.slot_bytes;
    if (ranked) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        size_t workers = threads > 0 ? (size_t)threads : (size_t)(cores > 0 ? cores : 1);
        Plan plan;
        if (plan_segments(&plan, video, &ranks, step, parameters->width, parameters->height, workers)) {
            run_segments(&plan, workers);
            plan_free(&plan);
            ranks_free(&ranks);
            return;
        }
        plan_free(&plan);
    }
    AVCodecContext *decoder = open_decoder(parameters, threads);
    Converter converter;
    memset(&converter, 0, sizeof converter);
    int ready = decoder != NULL;
    if (ready && !converter_init(&converter, parameters->width, parameters->height)) {
        log_printf("vigil-framer: out of memory for a %dx%d frame", parameters->width, parameters->height);
        converter_free(&converter);
        ready = 0;
    }
    if (!ready) {
        avcodec_free_context(&decoder);
        ranks_free(&ranks);
        write_text_record('E', "status=failed|decoded=0|sent=0\n", request_log.text);
        return;
    }
    int errors_before = request_log.count;
    DecodeState state = {step, max_frames, ranked ? &ranks : NULL, 0, 0, -1, 0, 0, 0};
    AVPacket *packet = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int read_error = 0;
    int64_t expected = ((int64_t)ranks.count + step - 1) / step;  // hashed frames, when ranked
    while (packet && frame && !state.failed && !state.too_many && !state.inconsistent) {
        int error = av_read_frame(video->input, packet);
        if (error < 0) {
            if (error != AVERROR_EOF) read_error = error;
            break;
        }
        if (packet->stream_index == video->stream) {
            if (state.ranks) {
                int64_t rank = rank_of(&ranks, packet->pts);
                decoder->skip_frame = (rank >= 0 && rank % step != 0) ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
            }
            // A packet the decoder refuses is damage (it says why in the log); go on with the next.
            avcodec_send_packet(decoder, packet);
            receive_frames(decoder, frame, &converter, &state, 0);
        }
        av_packet_unref(packet);
        // Every hashed frame is out: no later frame is needed by one.
        if (state.ranks && state.sent == expected) break;
    }
    if (read_error) {
        char message[256];
        av_strerror(read_error, message, sizeof message);
        log_printf("%s: %s", video->path, message);
    }
    if (!state.failed && !state.too_many && !state.inconsistent && !(state.ranks && state.sent == expected)) {
        avcodec_send_packet(decoder, NULL);  // flush
        receive_frames(decoder, frame, &converter, &state, 1);
    }
    if (state.ranks && !state.inconsistent && !state.too_many) {
        // Every multiple of the step below the packet count must have been sent, with no error.
        if (state.sent != expected || request_log.count != errors_before) state.inconsistent = 1;
    }
    const char *status = state.failed ? "failed" : state.too_many ? "too_many_frames" : state.inconsistent ? "inconsistent" : "ok";
    char summary[256];
    snprintf(summary, sizeof summary, "status=%s|decoded=%lld|sent=%lld|ranked=%d\n", status, (long long)state.decoded,
             (long long)state.sent, state.ranks != NULL);
    write_text_record('E', summary, request_log.text);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&decoder);
    converter_free(&converter);
    ranks_free(&ranks);
}

// Parses a whole decimal `text` in [low, high] into `value`; 0 for anything else ("5x", "", "-").
static int parse_count(const char *text, long long low, long long high, long long *value) {
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < low || parsed > high) return 0;
    *value = parsed;
    return 1;
}

int main(int argc, char **argv) {
    long long threads = 0;
    long long slot_bytes = 0;
    long long slots = ring.slots;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--portable") == 0) av_force_cpu_flags(0);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc && parse_count(argv[i + 1], 0, 1024, &threads)) i++;
        else if (strcmp(argv[i], "--ring") == 0 && i + 1 < argc && parse_count(argv[i + 1], 0, (long long)1 << 40, &slot_bytes)) i++;
        else if (strcmp(argv[i], "--slots") == 0 && i + 1 < argc && parse_count(argv[i + 1], 1, RING_MAX_SLOTS, &slots)) i++;
        else {
            fprintf(stderr, "usage: vigil-framer [--portable] [--threads 0-1024] [--ring SLOTBYTES] [--slots 1-64]\n");
            return 2;
        }
    }
    ring.slots = (int)slots;
    signal(SIGPIPE, SIG_IGN);
    // Without a memory file (or --ring), no 'M' record: every frame goes as an 'F' record.
    if (slot_bytes > 0) ring_create((uint64_t)slot_bytes);
    av_log_set_callback(log_callback);
    static char line[LINE_MAX_BYTES * 2 + 64];
    for (;;) {
        int got = read_request(line, sizeof line);
        if (got == 0) return 0;
        log_reset();
        char demuxer[64], hex[sizeof line];
        Video video;
        if (got < 0 || sscanf(line, "open %63s %s", demuxer, hex) != 2 || !unhex(hex, video.path, sizeof video.path)) {
            write_text_record('X', "bad_request\n", line);
            return 2;
        }
        video.format = av_find_input_format(demuxer);
        if (!video.format) {
            write_text_record('X', "bad_request\n", "unknown demuxer\n");
            return 2;
        }
        if (open_input(&video, 1) < 0) {
            write_text_record('X', "open_failed\n", request_log.text);
            continue;
        }
        write_info(&video);
        if (read_request(line, sizeof line) <= 0) return 0;
        long long step = 0, max_frames = 0;
        int skip = 0, use_ring = 0;
        if (strcmp(line, "close") == 0 || video.stream < 0) {
            write_text_record('E', "status=closed|decoded=0|sent=0\n", NULL);
        } else if (sscanf(line, "decode %lld %lld %d %d", &step, &max_frames, &skip, &use_ring) >= 3 && step >= 1 && max_frames >= 1) {
            decode(&video, step, max_frames, skip, (int)threads, use_ring == 1);
        } else {
            write_text_record('X', "bad_request\n", line);
            return 2;
        }
        avformat_close_input(&video.input);
    }
}
