/*
 * Runs jobs/seed.groovy the way JCasC's job-dsl does (the providedEnv values as script variables), with a
 * stand-in for the Job DSL methods that records what each job gets, and checks that
 *   - the seed creates gpu-check and train with their parameters and defaults;
 *   - both jobs' WORKER choices are the labels of jobs/worker-labels.tsv (written at synth from casc/), in
 *     its order, and EXPECTED_LABELS when given;
 *   - train's pipeline script is jobs/train.Jenkinsfile, byte for byte, followed by workerLabels(), which,
 *     compiled and called, returns the rows of worker-labels.tsv;
 *   - gpu-check's pipeline script is jobs/gpu-check.Jenkinsfile followed by gpuCheckFiles(), which, compiled
 *     and called, returns every file of jobs/gpu-check/ with its exact bytes, and by workerLabels();
 *   - each pipeline's parameterErrors(), compiled from the seeded script, accepts the seeded defaults with
 *     every offered WORKER and refuses REFUSED_LABEL (default no-such-label), a label no template serves,
 *     with one error, printed as "refused JOB: MESSAGE" for the caller to compare;
 *   - the same holds for a copy of jobs/ with a file of awkward bytes (quotes, ${...}, backslashes, CRLF,
 *     bytes that are not UTF-8, no final newline), and a file name that cannot be embedded is refused;
 *   - a missing or empty worker-labels.tsv is refused with a message that says what to change.
 * BUNDLE_ROOT is a config bundle as synth writes it (lib/bundle/build-bundle.ts: its jobs/ has the generated
 * worker-labels.tsv); test/jobs/seed-labels.lint.test.ts builds bundles from several casc variants and runs
 * this on each. Needs Groovy 2.4 only (not Jenkins):
 *   groovy test/jobs/SeedRoundTrip.groovy BUNDLE_ROOT [EXPECTED_LABELS (comma-separated) [REFUSED_LABEL]]
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

/** Parameter name -> [kind, default value, choices (choiceParam only), description]. */
Map<String, List<Object>> parametersOf(Recorder job) {
    Map<String, List<Object>> parameters = [:]
    job.block('parameters').calls.each { List<Object> call ->
        List<Object> args = call[1] as List<Object>
        boolean choice = call[0] == 'choiceParam'
        parameters[args[0] as String] = [call[0], choice ? args[1][0] : args[1], choice ? args[1] : null, args[2]]
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

/** The rows of worker-labels.tsv, read here independently of the seed: column name -> value. */
List<Map<String, String>> labelRows(File jobsDir) {
    List<String> columns = ['label', 'template', 'instanceType', 'market', 'source']
    return new File(jobsDir, 'worker-labels.tsv').readLines('UTF-8').findAll { String line ->
        !line.startsWith('#') && !line.trim().isEmpty()
    }.collect { String line -> [columns, line.split('\t', -1).toList()].transpose().collectEntries() }
}

/**
 * Compiles a seeded pipeline script and calls its parameterErrors(): the defaults (plus required) give no
 * error with each offered label; an unserved label gives exactly one error, which is returned.
 */
String checkValidation(String script, Map<String, List<Object>> seeded, Map<String, String> required, String label,
                       String refusedLabel) {
    Script compiled = new GroovyShell().parse(script)
    Map<String, Object> params = seeded.collectEntries { String name, List<Object> p -> [name, p[1]] } + required
    seeded.WORKER[2].each { Object worker ->
        List<String> errors = (List<String>) compiled.invokeMethod('parameterErrors', [params + [WORKER: worker]])
        check(errors.isEmpty(), "${label}: the seeded defaults with WORKER ${worker} pass the validation ${errors}")
    }
    check(!seeded.WORKER[2].contains(refusedLabel), "${label}: ${refusedLabel} is not offered")
    List<String> refused = (List<String>) compiled.invokeMethod('parameterErrors', [params + [WORKER: refusedLabel]])
    check(refused.size() == 1 && refused[0].startsWith('WORKER '), "${label}: WORKER ${refusedLabel} is refused")
    println("refused ${label}: ${refused[0]}")
    return refused[0]
}

File bundle = new File(args ? args[0] : '.').canonicalFile
List<String> expectedLabels = args.length > 1 ? args[1].split(',').toList() : null
String refusedLabel = args.length > 2 ? args[2] : 'no-such-label'
File jobsDir = new File(bundle, 'jobs')
Map<String, Recorder> jobs = runSeed(jobsDir, 'gs://test-bucket/')
check(jobs.keySet().toList() == ['gpu-check', 'train'], 'the seed creates gpu-check, then train')

List<Map<String, String>> rows = labelRows(jobsDir)
List<String> served = rows*.label.unique(false)
check(!served.isEmpty(), "worker-labels.tsv lists ${served}")
if (expectedLabels != null) {
    check(served == expectedLabels, "worker-labels.tsv lists the expected labels ${expectedLabels}")
}

Map<String, List<Object>> gpuCheck = parametersOf(jobs['gpu-check'])
check(gpuCheck.keySet().toList() == ['WORKER', 'FRAMEWORK', 'FRAMEWORK_PACKAGE', 'RESULTS_DIR', 'TRAIN_SECONDS'],
    "gpu-check's parameters are WORKER, FRAMEWORK, FRAMEWORK_PACKAGE, RESULTS_DIR, TRAIN_SECONDS")
check(gpuCheck.WORKER[2] == served, "gpu-check offers the served labels ${served}")
check(gpuCheck.FRAMEWORK[2] == ['tensorflow', 'pytorch'], 'gpu-check offers tensorflow (default) and pytorch')
check(gpuCheck.RESULTS_DIR[1] == 'gs://test-bucket/results', "gpu-check's RESULTS_DIR default is train's")
check(gpuCheck.TRAIN_SECONDS[1] == '60' && gpuCheck.FRAMEWORK_PACKAGE[1] == '',
    'gpu-check trains for 60 s with the default package')

Map<String, List<Object>> train = parametersOf(jobs['train'])
check(train.WORKER[2] == served, "train offers the served labels ${served}, the first by default")
check(rows.every { Map<String, String> r ->
    String help = train.WORKER[3]
    help.contains("${r.label} = ") && help.contains("${r.template} (${r.instanceType}, ${r.market})")
},
    "train's WORKER help names each label's template: ${train.WORKER[3]}")
check(train.RESULTS_DIR[1] == gpuCheck.RESULTS_DIR[1], 'train and gpu-check share the RESULTS_DIR default')
check(train.TRAINING_REPO_URL[1] == '' && train.TRAIN_COMMAND[1] == '',
    'train has no default repository or command')
String trainScript = pipelineScriptOf(jobs['train'])
String trainJenkinsfile = new File(jobsDir, 'train.Jenkinsfile').getText('UTF-8')
check(trainScript.startsWith(trainJenkinsfile), "train's pipeline starts with train.Jenkinsfile, unchanged")
Script compiledTrain = new GroovyShell().parse(trainScript)
check(compiledTrain.invokeMethod('workerLabels', null) == rows,
    "train's workerLabels() returns the rows of worker-labels.tsv")
checkValidation(trainScript, train,
    [PROBLEM: 'mnist', TRAINING_REPO_URL: 'https://github.com/example/train.git', TRAIN_COMMAND: 'python train.py'],
    'train', refusedLabel)
String gpuCheckScript = pipelineScriptOf(jobs['gpu-check'])
checkEmbedded(gpuCheckScript, jobsDir, 'jobs/')
check(new GroovyShell().parse(gpuCheckScript).invokeMethod('workerLabels', null) == rows,
    "gpu-check's workerLabels() returns the rows of worker-labels.tsv")
checkValidation(gpuCheckScript, gpuCheck, [:], 'gpu-check', refusedLabel)

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
    new File(copy, "gpu-check/it's.sh").delete()

    File labels = new File(copy, 'worker-labels.tsv')
    labels.text = labels.readLines('UTF-8').findAll { String line -> line.startsWith('#') }.join('\n') + '\n'
    String empty = ''
    try {
        runSeed(copy, '/data')
    } catch (IllegalStateException e) {
        empty = e.message
    }
    check(empty.contains('no EC2 template in casc/ serves a label') && empty.contains('labelString in casc/'),
        "a worker-labels.tsv without labels is refused: ${empty}")
    labels.delete()
    String missing = ''
    try {
        runSeed(copy, '/data')
    } catch (IllegalStateException e) {
        missing = e.message
    }
    check(missing.contains('worker-labels.tsv: missing') && missing.contains('cdk deploy'),
        "a bundle without worker-labels.tsv is refused: ${missing}")
} finally {
    copy.deleteDir()
}
