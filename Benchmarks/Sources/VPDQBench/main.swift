// VPDQBench: vPDQ hashing speed of Vigil's VideoHasher (Swift PDQ on frames from ffmpeg child
// processes, or from vigil-framer, the long-lived frame server), per video and per sampling mode,
// with both colour-conversion paths. Prints one tab-separated row per (backend, colour, file, mode):
// the median wall-clock and CPU time over --reps runs. CPU time is this process's plus its reaped
// children's (ffmpeg and ffprobe); vigil-framer lives on between runs, so its CPU time is read from
// /proc (utime + stime of the framer processes that are its children). See Benchmarks/vpdq/run.sh,
// which adds PyPI vpdq and the table.
//
//   VPDQBench [--reps 3] [--modes 1,0] [--colour portable,native]
//             [--backends ffmpeg,framer,framer-pipe,framer-decode] [--framer PATH] VIDEO...
//
// framer-decode reads the same frames from vigil-framer (in shared memory, each dropped at once)
// and hashes none: the time decoding and conversion alone take, which bounds what any hashing
// speed-up can reach.
import Foundation
import VigilHash
import VigilMedia
import VigilPipeline

func argument(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return value }
    return arguments[index + 1]
}

/// The videos: every argument that is not an option or an option's value.
func videos() -> [String] {
    var files: [String] = []
    var skip = false
    for argument in CommandLine.arguments.dropFirst() {
        if skip {
            skip = false
        } else if argument.hasPrefix("--") {
            skip = true
        } else {
            files.append(argument)
        }
    }
    return files
}

/// CPU seconds used so far by this process and by its children that were waited for.
func cpuSeconds() -> Double {
    var total = 0.0
    #if canImport(Glibc)
    let whos = [RUSAGE_SELF.rawValue, RUSAGE_CHILDREN.rawValue]
    #else
    let whos = [RUSAGE_SELF, RUSAGE_CHILDREN]
    #endif
    for who in whos {
        var usage = rusage()
        getrusage(who, &usage)
        total += Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        total += Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
    return total
}

/// CPU seconds used so far by the running children of this process (vigil-framer), from /proc.
func runningChildrenCPUSeconds() -> Double {
    let me = getpid()
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var total = 0.0
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
    for entry in entries where Int32(entry) != nil {
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        // Fields after the command: state, ppid, ..., utime (14th field overall), stime (15th).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, Int32(fields[1]) == me, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
        total += (user + system) / ticks
    }
    return total
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

/// Reads the frames a hash of `file` would hash, from the framer, and drops each at once; returns
/// how many came.
func decodeOnly(source: VideoFrameSource, file: String, secondsPerHash: Double) async throws -> Int {
    var count = 0
    let sampler = VPDQHasher(secondsPerHash: secondsPerHash)
    _ = try await source.read(
        contentsOf: file, lendingFrames: true,
        frameStep: { sampler.frameStep(framesPerSecond: $0.frameRate.framesPerSecond) },
        onFrame: { _ in count += 1 })
    return count
}

let reps = max(1, Int(argument("--reps", default: "3")) ?? 3)
let modes = argument("--modes", default: "1,0").split(separator: ",").compactMap { Double($0) }
let colours: [(String, VideoColourConversion)] = argument("--colour", default: "portable,native").split(separator: ",").map {
    $0 == "native" ? ("native", .native) : ("portable", .portable)
}
let backends = argument("--backends", default: "ffmpeg").split(separator: ",").map(String.init)
let framerPath = argument("--framer", default: "")
let files = videos()
guard !files.isEmpty else {
    FileHandle.standardError.write(Data("usage: VPDQBench [--reps N] [--modes 1,0] [--colour portable,native] VIDEO...\n".utf8))
    exit(2)
}

print("tool\tcolour\tfile\tseconds_per_hash\tframes\twall_s\tcpu_s")
for backendName in backends {
    for (colourName, colour) in colours {
        let backend: VideoDecoderBackend
        if backendName.hasPrefix("framer") {
            guard !framerPath.isEmpty else {
                FileHandle.standardError.write(Data("VPDQBench: --backends \(backendName) needs --framer PATH\n".utf8))
                exit(2)
            }
            // framer: frames in shared memory (the default); framer-pipe: every frame through the pipe.
            backend = .framer(FramerOptions(executable: framerPath, sharedMemory: backendName != "framer-pipe"))
        } else {
            backend = .ffmpegTools
        }
        // One frame source per backend and colour: the framer processes it starts serve every video after.
        let source = VideoFrameSource(options: VideoDecodeOptions(colourConversion: colour, backend: backend))
        for file in files {
            for mode in modes {
                let hasher = VideoHasher(hasher: VPDQHasher(secondsPerHash: mode), source: source)
                var walls: [Double] = []
                var cpus: [Double] = []
                var frames = 0
                for _ in 0..<reps {
                    let cpuStart = cpuSeconds() + runningChildrenCPUSeconds()
                    let start = ContinuousClock.now
                    do {
                        if backendName == "framer-decode" {
                            frames = try await decodeOnly(source: source, file: file, secondsPerHash: mode)
                        } else {
                            frames = try await hasher.hash(fileAt: file).features.count
                        }
                    } catch {
                        FileHandle.standardError.write(Data("VPDQBench: \(file): \(error)\n".utf8))
                        exit(1)
                    }
                    let elapsed = ContinuousClock.now - start
                    walls.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    cpus.append(cpuSeconds() + runningChildrenCPUSeconds() - cpuStart)
                }
                let name = URL(fileURLWithPath: file).lastPathComponent
                let tool = backendName == "ffmpeg" ? "vigil" : "vigil-\(backendName)"
                print("\(tool)\t\(colourName)\t\(name)\t\(mode)\t\(frames)\t\(median(walls))\t\(median(cpus))")
            }
        }
    }
}
