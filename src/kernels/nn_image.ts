// Image ops for learned denoisers (NHWC: (N * H * W, C) row-major f32), issue 5 contract section (2):
// im2col / col2im 3x3, conv3x3 forward / backward over matmul, GroupNorm, AvgPool2, nearest Upsample2,
// channel concatenation, per-(image, channel) bias. Load with imageKernels(ctx) / conv3x3Kernels(ctx, shape).
export * from './nn_image_base.js';
export * from './nn_image_ops.js';
export * from './nn_image_channel.js';
export * from './nn_image_norm.js';
export * from './nn_image_conv.js';
