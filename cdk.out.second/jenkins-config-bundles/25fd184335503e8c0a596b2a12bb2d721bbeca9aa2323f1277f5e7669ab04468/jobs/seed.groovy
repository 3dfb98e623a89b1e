/*
 * Job DSL seed: creates the parametrized GPU training pipeline `train`.
 *
 * How it runs: JCasC's `jobs:` root (job-dsl plugin, SeedJobConfigurator) runs this file on every start
 * and every JCasC reload, with no seed job and no workspace, so `readFileFromWorkspace` is not available
 * (it fails with a NullPointerException, configuration-as-code-plugin #608). JCasC-run Job DSL scripts
 * are trusted configuration: they are not subject to Job DSL script security (that setting only applies
 * to the "Process Job DSLs" build step of seed jobs), so this script reads the Jenkinsfile with plain
 * `new File(...)`. The generated pipeline itself runs in the Groovy sandbox (`sandbox(true)`), so it
 * needs no script approval.
 *
 * The casc `jobs:` entry (the `providedEnv` values become variables of this script; JCasC resolves
 * `${RESULTS_LOCATION}` from the stack's variables):
 *
 *   jobs:
 *     - providedEnv:
 *         TRAIN_JENKINSFILE: /opt/jenkins-gpu/config/current/jobs/train.Jenkinsfile
 *         RESULTS_LOCATION: ${RESULTS_LOCATION}
 *     - file: /opt/jenkins-gpu/config/current/jobs/seed.groovy
 *
 * Parameters are defined here, not in the Jenkinsfile: a `parameters {}` directive only takes effect
 * after a first build, while this makes "Build with Parameters" available right after the deploy, with
 * defaults from the stack. The Jenkinsfile validates every parameter before it asks for a GPU.
 */

String setting(String name, String fallback) {
    return binding.hasVariable(name) && binding.getVariable(name) ? binding.getVariable(name).toString() : fallback
}

String jenkinsfilePath = setting('TRAIN_JENKINSFILE', '/opt/jenkins-gpu/config/current/jobs/train.Jenkinsfile')
String resultsLocation = setting('RESULTS_LOCATION', 'gs://YOUR_BUCKET').replaceAll('/+$', '')
String pipelineScript = new File(jenkinsfilePath).getText('UTF-8')

String defaultTrainCommand = [
    't2t-trainer',
    '--problem="$PROBLEM"',
    '--model="$MODEL"',
    '--hparams_set="$HPARAMS"',
    '--data_dir="$DATA_DIR"',
    '--output_dir="$OUTPUT_DIR"',
].join(' ')

pipelineJob('train') {
    displayName('Train a model on a GPU worker')
    description('''\
Trains a model on an EC2 GPU worker (started on demand, stopped when idle).
Required: PROBLEM. Results go to RESULTS_DIR/PROBLEM/MODEL-BUILD_NUMBER; the build description shows the
exact location and the TensorBoard command. Defined by jobs/seed.groovy and jobs/train.Jenkinsfile:
edit those files and cdk deploy, changes made here are overwritten.''')
    logRotator {
        numToKeep(200)
    }
    parameters {
        stringParam('PROBLEM', '',
            'Required. Problem name: lower case letters, digits and _ (e.g. translate_ende_wmt32k).')
        stringParam('MODEL', 'transformer', 'Model name (letters, digits, _).')
        stringParam('HPARAMS', 'transformer_base', 'Hyper-parameter set name (letters, digits, _).')
        stringParam('DATA_DIR', "${resultsLocation}/data",
            'Training data: s3://, gs:// or an absolute path on the worker.')
        stringParam('RESULTS_DIR', "${resultsLocation}/results",
            'Results root: s3://, gs:// or an absolute path; a run writes to RESULTS_DIR/PROBLEM/MODEL-BUILD_NUMBER.')
        choiceParam('WORKER', ['tensorflow', 'tensorflow-spot'],
            'GPU worker: tensorflow = on-demand; tensorflow-spot = spot (cheaper, can be interrupted: '
            + 'the run is retried on a new worker and must resume from its checkpoints).')
        stringParam('TIMEOUT_HOURS', '5', 'Hours the training command may run (1-72).')
        stringParam('TRAINING_REPO_URL', 'https://github.com/tensorflow/tensor2tensor.git',
            'Git repository with requirements.txt and an installable package (setup.py / pyproject.toml).')
        stringParam('TRAINING_REPO_BRANCH', 'master', 'Branch of the training repository.')
        booleanParam('USE_SCM_CREDENTIALS', true,
            'Check out with the scm-credentials credential; untick for a public repository.')
        stringParam('TENSORFLOW_PACKAGE', 'tensorflow[and-cuda]',
            'pip requirement for TensorFlow, installed after requirements.txt; empty to skip.')
        stringParam('TRAIN_COMMAND', defaultTrainCommand,
            'Shell command run in the virtualenv. Environment: PROBLEM, MODEL, HPARAMS, DATA_DIR, RESULTS_DIR, '
            + 'OUTPUT_DIR (= RESULTS_DIR/PROBLEM/MODEL-BUILD_NUMBER), BUILD_NUMBER.')
    }
    definition {
        cps {
            script(pipelineScript)
            sandbox(true)
        }
    }
}
