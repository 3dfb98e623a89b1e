/*
 * Compile-only check of Jenkins Groovy files with the Groovy that Jenkins runs (2.4):
 *   groovy test/jobs/parse-groovy.groovy FILE...
 * Each file goes through parsing, AST conversion and semantic analysis (unknown classes fail), but
 * method calls are not resolved, so DSL methods (pipeline, stage, pipelineJob, ...) are fine.
 * Prints "ok FILE" or the compiler's messages; exits 1 if any file fails.
 */
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases

if (args.length == 0) {
    System.err.println('usage: groovy parse-groovy.groovy FILE...')
    System.exit(2)
}

int failures = 0
args.each { String path ->
    File file = new File(path)
    CompilationUnit unit = new CompilationUnit(new CompilerConfiguration())
    unit.addSource(file)
    try {
        unit.compile(Phases.SEMANTIC_ANALYSIS)
        println("ok ${path}")
    } catch (CompilationFailedException e) {
        failures++
        System.err.println("FAILED ${path}:\n${e.message}")
    }
}
System.exit(failures == 0 ? 0 : 1)
