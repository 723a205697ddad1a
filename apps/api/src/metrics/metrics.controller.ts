import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import { scrapeMetrics } from '../cluster.js';
import { MetricsService } from './metrics.service.js';

@Controller('metrics')
@Public()
@ApiTags('metrics')
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (HTTP latency by route, cache hits/misses, policy decisions).',
    description:
      'Text exposition format for a Prometheus scraper; expose it on a private network only.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    schema: {
      type: 'string',
      example:
        '# HELP http_requests_total HTTP requests\n# TYPE http_requests_total counter\nhttp_requests_total{route="/v1/wallets",status="200"} 3\n',
    },
  })
  scrape(): Promise<string> {
    return scrapeMetrics(this.metrics.registry);
  }
}
