/*
 * Runs jobs/seed.groovy the way JCasC's job-dsl does (the providedEnv values as script variables), with a
 * stand-in for the Job DSL methods that records what each job gets, and checks that
 *   - the seed creates gpu-check and train with their parameters and defaults;
 *   - train's pipeline script is jobs/train.Jenkinsfile, byte for byte;
 *   - gpu-check's pipeline script is jobs/gpu-check.Jenkinsfile followed by gpuCheckFiles(), which, compiled
 *     and called, returns every file of jobs/gpu-check/ with its exact bytes;
 *   - the same holds for a copy of jobs/ with a file of awkward bytes (quotes, ${...}, backslashes, CRLF,
 *     bytes that are not UTF-8, no final newline), and a file name that cannot be embedded is refused.
 * Needs Groovy 2.4 only (not Jenkins):  groovy test/jobs/SeedRoundTrip.groovy [REPO_ROOT]
 * Prints "ok ..." per check; on the first failure prints "FAILED ..." and exits 1.
 */
import java.nio.file.Files

/** Records Job DSL calls: name, arguments, and for a call with a closure the calls made inside it. */
class Recorder {
    List<List<Object>> calls = []

    Object methodMissing(String name, Object argsObject) {
        List<Object> args = ((Object[]) argsObject).toList()
        Recorder inner = null
        if (!args.isEmpty() && args[-1] instanceof Closure) {
            inner = new Recorder()
            Closure body = (Closure) args.remove(args.size() - 1)
            body.delegate = inner
            body.resolveStrategy = Closure.DELEGATE_FIRST
            body.call()
        }
        calls << [name, args, inner]
        return null
    }

    Recorder block(String name) {
        return calls.find { List<Object> c -> c[0] == name }?.get(2) as Recorder
    }

    List<Object> argsOf(String name) {
        return calls.find { List<Object> c -> c[0] == name }?.get(1) as List<Object>
    }
}

void check(boolean condition, String what) {
    if (!condition) {
        System.err.println("FAILED ${what}")
        System.exit(1)
    }
    println("ok ${what}")
}

/** Runs the seed in jobsDir; returns job name -> what its DSL block recorded, in creation order. */
Map<String, Recorder> runSeed(File jobsDir, String resultsLocation) {
    Map<String, Recorder> jobs = [:]
    Binding binding = new Binding()
    binding.setVariable('TRAIN_JENKINSFILE', new File(jobsDir, 'train.Jenkinsfile').path)
    binding.setVariable('RESULTS_LOCATION', resultsLocation)
    binding.setVariable('pipelineJob') { String name, Closure body ->
        Recorder job = new Recorder()
        body.delegate = job
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body.call()
        jobs[name] = job
    }
    new GroovyShell(binding).evaluate(new File(jobsDir, 'seed.groovy'))
    return jobs
}

/** Parameter name -> [kind, default value, choices (choiceParam only)]. */
Map<String, List<Object>> parametersOf(Recorder job) {
    Map<String, List<Object>> parameters = [:]
    job.block('parameters').calls.each { List<Object> call ->
        List<Object> args = call[1] as List<Object>
        boolean choice = call[0] == 'choiceParam'
        parameters[args[0] as String] = [call[0], choice ? args[1][0] : args[1], choice ? args[1] : null]
    }
    return parameters
}

String pipelineScriptOf(Recorder job) {
    Recorder cps = job.block('definition').block('cps')
    check(cps.argsOf('sandbox') == [true], 'the pipeline runs in the Groovy sandbox')
    return cps.argsOf('script')[0] as String
}

/** Compiles the pipeline script, calls its gpuCheckFiles() and compares each entry with the file in dir. */
void checkEmbedded(String script, File jobsDir, String label) {
    String jenkinsfile = new File(jobsDir, 'gpu-check.Jenkinsfile').getText('UTF-8')
    check(script.startsWith(jenkinsfile), "${label}: the script starts with gpu-check.Jenkinsfile unchanged")
    Script compiled = new GroovyShell().parse(script)
    List<Map<String, String>> embedded = (List<Map<String, String>>) compiled.invokeMethod('gpuCheckFiles', null)
    List<String> expected = new File(jobsDir, 'gpu-check').listFiles()*.name.findAll { !it.startsWith('.') }.sort()
    check(embedded*.name == expected, "${label}: gpuCheckFiles() lists ${expected}")
    embedded.each { Map<String, String> entry ->
        byte[] bytes = new File(new File(jobsDir, 'gpu-check'), entry.name).bytes
        check(Arrays.equals(entry.base64.decodeBase64(), bytes),
            "${label}: ${entry.name} round-trips (${bytes.length} bytes)")
    }
}

void copyTree(File from, File to) {
    to.mkdirs()
    from.listFiles().each { File f ->
        File target = new File(to, f.name)
        if (f.isDirectory()) {
            copyTree(f, target)
        } else {
            target.bytes = f.bytes
        }
    }
}

File repo = new File(args ? args[0] : '.').canonicalFile
File jobsDir = new File(repo, 'jobs')
Map<String, Recorder> jobs = runSeed(jobsDir, 'gs://test-bucket/')
check(jobs.keySet().toList() == ['gpu-check', 'train'], 'the seed creates gpu-check, then train')

Map<String, List<Object>> gpuCheck = parametersOf(jobs['gpu-check'])
check(gpuCheck.keySet().toList() == ['WORKER', 'FRAMEWORK', 'FRAMEWORK_PACKAGE', 'RESULTS_DIR', 'TRAIN_SECONDS'],
    "gpu-check's parameters are WORKER, FRAMEWORK, FRAMEWORK_PACKAGE, RESULTS_DIR, TRAIN_SECONDS")
check(gpuCheck.WORKER[2] == ['tensorflow', 'tensorflow-spot'], 'gpu-check offers both worker labels')
check(gpuCheck.FRAMEWORK[2] == ['tensorflow', 'pytorch'], 'gpu-check offers tensorflow (default) and pytorch')
check(gpuCheck.RESULTS_DIR[1] == 'gs://test-bucket/results', "gpu-check's RESULTS_DIR default is train's")
check(gpuCheck.TRAIN_SECONDS[1] == '60' && gpuCheck.FRAMEWORK_PACKAGE[1] == '',
    'gpu-check trains for 60 s with the default package')

Map<String, List<Object>> train = parametersOf(jobs['train'])
check(train.RESULTS_DIR[1] == gpuCheck.RESULTS_DIR[1], 'train and gpu-check share the RESULTS_DIR default')
check(train.TRAINING_REPO_URL[1] == '' && train.TRAIN_COMMAND[1] == '',
    'train has no default repository or command')
check(pipelineScriptOf(jobs['train']) == new File(jobsDir, 'train.Jenkinsfile').getText('UTF-8'),
    "train's pipeline is train.Jenkinsfile, unchanged")
checkEmbedded(pipelineScriptOf(jobs['gpu-check']), jobsDir, 'jobs/')

File copy = Files.createTempDirectory('seed-roundtrip-').toFile()
try {
    copyTree(jobsDir, copy)
    ByteArrayOutputStream awkward = new ByteArrayOutputStream()
    awkward.write("'''\"\"\"\${params.X} \$HOME \\n \\' \r\n\u00e9".getBytes('UTF-8'))
    awkward.write([0, 255, 254, 10, 39] as byte[])
    new File(copy, 'gpu-check/awkward.bin').bytes = awkward.toByteArray()
    checkEmbedded(pipelineScriptOf(runSeed(copy, '/data')['gpu-check']), copy, 'a copy with awkward bytes')

    new File(copy, "gpu-check/it's.sh").text = 'echo\n'
    String refused = ''
    try {
        runSeed(copy, '/data')
    } catch (IllegalArgumentException e) {
        refused = e.message
    }
    check(refused.contains("it's.sh") && refused.contains('letters, digits'),
        "a file name with a quote is refused: ${refused}")
} finally {
    copy.deleteDir()
}
