import { describe, expect, it } from 'vitest';
import {
  engineProblems,
  gpuCountProblem,
  lmcacheProblems,
  resourceProblems,
  vllmConfigProblems,
} from '../../../schema/facts/engine-rules.js';

const keys = (problems: ReturnType<typeof engineProblems>) => problems.map((p) => `${p.severity} ${p.key.join('.')}`);

describe('engine rules (the checks of meaning and VllmEngine apply the same functions)', () => {
  it('whole GPUs', () => {
    expect(gpuCountProblem(2)).toBeNull();
    expect(gpuCountProblem('1')).toBeNull();
    expect(gpuCountProblem('500m')).toBe('GPUs are whole devices: requestGPU must be a whole number, given 500m');
  });

  it('requests and limits, tensor parallelism, visible devices', () => {
    expect(
      keys(
        resourceProblems({
          requestGPU: 1,
          requestMemory: '8Gi',
          limitMemory: '4Gi',
          vllmConfig: { tensorParallelSize: 2 },
          lmcacheConfig: { cudaVisibleDevices: '0,1' },
        }),
      ),
    ).toEqual(['error limitMemory', 'error vllmConfig.tensorParallelSize', 'error lmcacheConfig.cudaVisibleDevices']);
    // `resources` replaces the request* keys: its GPUs count, its limits are Kubernetes' to check
    expect(
      resourceProblems({
        requestGPU: 0.5,
        resources: { limits: { 'nvidia.com/gpu': 2 } },
        vllmConfig: { tensorParallelSize: 2 },
      }),
    ).toEqual([]);
    expect(keys(resourceProblems({ lmcacheConfig: { cudaVisibleDevices: 0 } }))).toEqual([
      'warning lmcacheConfig.cudaVisibleDevices',
    ]);
  });

  it('vllmConfig', () => {
    expect(keys(vllmConfigProblems({ vllmConfig: { gpuMemoryUtilization: 0, v0: '1', v1: 1 } }))).toEqual([
      'error vllmConfig.gpuMemoryUtilization',
      'error vllmConfig.v1',
    ]);
  });

  it('a coherent P/D role', () => {
    const pd = { enabled: true, enablePD: true, enableNixl: true, nixlPeerPort: '55555' } as const;
    expect(
      lmcacheProblems({ ...pd, nixlRole: 'sender', kvRole: 'kv_producer', nixlPeerHost: 'pd-d-engine-service' }),
    ).toEqual([]);
    expect(keys(lmcacheProblems({ ...pd, nixlRole: 'receiver', nixlPeerHost: 'pd-d-engine-service' }))).toEqual([
      'error lmcacheConfig.nixlRole', // kvRole defaults to kv_both
      'warning lmcacheConfig.nixlPeerHost', // a receiver binds an address of its pod
    ]);
    expect(keys(lmcacheProblems({ enabled: true, enablePD: true }))).toEqual([
      'error lmcacheConfig.enablePD',
      'error lmcacheConfig.enablePD',
      'error lmcacheConfig',
      'error lmcacheConfig',
    ]);
    expect(keys(lmcacheProblems({ enabled: true, enableNixl: true, cpuOffloadingBufferSize: 10 }))).toEqual([
      'error lmcacheConfig.enableNixl',
      'error lmcacheConfig.cpuOffloadingBufferSize',
    ]);
  });

  it('engineProblems lists them all, in the order of the checks of meaning', () => {
    expect(
      keys(
        engineProblems({ requestGPU: 1.5, vllmConfig: { gpuMemoryUtilization: 2 }, lmcacheConfig: { enablePD: true } }),
      ),
    ).toEqual(['error vllmConfig.gpuMemoryUtilization', 'error requestGPU', 'error lmcacheConfig.enablePD']);
  });
});
