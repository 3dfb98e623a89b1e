// Baseline for the synth benchmark: the smallest real CDK app (one bucket), run the same way as ours.
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

const app = new App();
new s3.Bucket(new Stack(app, 'OneBucket'), 'Bucket');
app.synth();
