import { volumeBounds } from '../../lib/casc/iam';
import * as tags from '../../lib/contracts';

describe('reserved tag keys', () => {
  const reserved = Object.values(tags as Record<string, unknown>).filter(
    (v): v is string =>
      typeof v === 'string' && v.startsWith(tags.RESERVED_TAG_PREFIX) && v !== tags.RESERVED_TAG_PREFIX,
  );

  it('puts every jenkins-gpu: key either among the launch keys or the keys Jenkins may never write', () => {
    expect([...tags.LAUNCH_TAG_KEYS, ...tags.NEVER_FROM_JENKINS_TAG_KEYS].sort()).toEqual(
      [...new Set(reserved)].sort(),
    );
  });

  it('lets Jenkins write only the fleet and template tags, at launch', () => {
    expect(tags.LAUNCH_TAG_KEYS).toEqual(['jenkins-gpu:fleet', 'jenkins-gpu:template']);
  });
});

describe('volumeBounds (the RunInstances volume conditions from customDeviceMapping)', () => {
  it('takes the largest size and every type of every template', () => {
    expect(
      volumeBounds([
        '/dev/sda1=:200:true:gp3::encrypted',
        '/dev/sda1=:100:true:gp3::encrypted,/dev/sdb=:500:true:st1::encrypted',
      ]),
    ).toEqual({
      maxSizeGiB: 500,
      types: ['gp3', 'st1'],
    });
  });

  it('gives no bound when a template leaves its volumes to the AMI or a mapping omits size or type', () => {
    expect(volumeBounds(['/dev/sda1=:200:true:gp3::encrypted', undefined])).toBeUndefined();
    expect(volumeBounds(['/dev/sda1=snap-1::true:gp3::encrypted'])).toBeUndefined();
    expect(volumeBounds(['/dev/sda1=:200:true:::encrypted'])).toBeUndefined();
    expect(volumeBounds([])).toBeUndefined();
  });
});
